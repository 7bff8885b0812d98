// The stores file of `loadline verify`: which production stores to search and how shadow
// traffic's data is recognised there (shadow ID ranges, the run id). Parsed once, every
// problem reported at once; ${VAR} expands from the environment.
import { z } from 'zod';
import { UsageError } from '../exit-codes.js';

export { STORES_HELP } from './verify-help.js';

const Ident = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/, 'a table or column name');
const Range = z.tuple([z.number().int(), z.number().int()]).refine(([a, b]) => a <= b, 'min ≤ max');
const FieldRanges = z.record(z.string().min(1), z.string().min(1)).default({});

export const StoresFile = z.strictObject({
  shadowIds: z.record(z.string().min(1), Range).default({}),
  postgres: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        url: z.string().regex(/^postgres(ql)?:\/\//, 'expected postgres://…'),
        tables: z.record(
          Ident,
          z.strictObject({
            shadowIds: z.record(Ident, z.string().min(1)).default({}),
            runId: z.array(Ident).default([]),
          }),
        ),
      }),
    )
    .default([]),
  redis: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        url: z.string().regex(/^rediss?:\/\//, 'expected redis://…'),
        keys: z
          .array(
            z.strictObject({
              match: z.string().min(1),
              id: z.string().optional(),
              range: z.string().optional(),
              fields: FieldRanges,
            }),
          )
          .default([]),
        queues: z
          .array(
            z.strictObject({
              prefix: z.string().default('bull'),
              name: z.string().min(1),
              fields: FieldRanges,
            }),
          )
          .default([]),
      }),
    )
    .default([]),
});
export type StoresFile = z.infer<typeof StoresFile>;

function expandEnv(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
    (_, name: string, dflt?: string) => {
      const value = env[name] ?? dflt;
      if (value === undefined) throw new UsageError('--stores', `\${${name}} is not set`);
      return value;
    },
  );
}

/** Parses and checks the stores file: every problem at once, each with its path. */
export async function parseStores(text: string, env: NodeJS.ProcessEnv): Promise<StoresFile> {
  const { parse: parseYaml } = await import('yaml');
  let raw: unknown;
  try {
    raw = parseYaml(expandEnv(text, env));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError('--stores', `not YAML or JSON: ${(error as Error).message}`);
  }
  const parsed = StoresFile.safeParse(raw ?? {});
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
  if (parsed.success) {
    const known = new Set(Object.keys(parsed.data.shadowIds));
    const use = (path: string, name: string | undefined) => {
      if (name !== undefined && !known.has(name))
        problems.push(`${path}: no shadowIds range named "${name}"`);
    };
    parsed.data.postgres.forEach((s, i) => {
      for (const [t, spec] of Object.entries(s.tables))
        for (const [c, r] of Object.entries(spec.shadowIds))
          use(`postgres.${i}.tables.${t}.${c}`, r);
    });
    parsed.data.redis.forEach((s, i) => {
      s.keys.forEach((k, j) => {
        use(`redis.${i}.keys.${j}.range`, k.range);
        if ((k.id === undefined) !== (k.range === undefined))
          problems.push(`redis.${i}.keys.${j}: id and range go together`);
        for (const [f, r] of Object.entries(k.fields)) use(`redis.${i}.keys.${j}.fields.${f}`, r);
      });
      s.queues.forEach((q, j) => {
        for (const [f, r] of Object.entries(q.fields)) use(`redis.${i}.queues.${j}.fields.${f}`, r);
      });
    });
  }
  if (problems.length > 0) throw new UsageError('--stores', problems.join('; '));
  return parsed.data as StoresFile;
}
