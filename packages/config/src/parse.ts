import type { z } from 'zod';

export interface EnvIssue {
  /** the variable, e.g. LOADLINE_API */
  variable: string;
  /** why its value is refused */
  message: string;
}

/** Every bad variable at once, each named with what was expected. */
export class EnvError extends Error {
  override readonly name = 'EnvError';
  constructor(readonly issues: EnvIssue[]) {
    super(issues.map((issue) => `${issue.variable}: ${issue.message}`).join('; '));
  }
}

export type RawEnv = Readonly<Record<string, string | undefined>>;

/**
 * Parses an environment (usually `process.env`) with a process's schema. A variable set to
 * the empty string counts as unset, as it does for most tools. Throws EnvError.
 */
export function parseEnv<S extends z.ZodObject>(schema: S, env: RawEnv): z.output<S> {
  const set: Record<string, string> = {};
  for (const name of Object.keys(schema.shape)) {
    const value = env[name];
    if (value !== undefined && value !== '') set[name] = value;
  }
  const parsed = schema.safeParse(set);
  if (parsed.success) return parsed.data;
  throw new EnvError(
    parsed.error.issues.map((issue) => ({
      variable: issue.path.map(String).join('.') || '(environment)',
      message: issue.message,
    })),
  );
}

/**
 * Each variable of `schema` parsed once, now; the returned `pick` hands out the named ones
 * (all of them when none is named) or throws EnvError for the bad among them. For a
 * program of many commands: one fails only on a variable it reads.
 */
export function envPicker<S extends z.ZodObject>(schema: S, env: RawEnv) {
  type Out = z.output<S>;
  const results = new Map<string, ReturnType<z.ZodType['safeParse']>>();
  for (const [name, field] of Object.entries(schema.shape)) {
    const value = env[name];
    results.set(name, (field as z.ZodType).safeParse(value === '' ? undefined : value));
  }
  return <K extends keyof Out & string>(...names: K[]): Pick<Out, K> => {
    const wanted = names.length > 0 ? names : [...results.keys()];
    const picked: Record<string, unknown> = {};
    const issues: EnvIssue[] = [];
    for (const name of wanted) {
      const result = results.get(name);
      if (!result) throw new Error(`${name} is not a variable of this schema`);
      if (result.success) {
        if (result.data !== undefined) picked[name] = result.data;
      } else {
        for (const issue of result.error.issues)
          issues.push({ variable: name, message: issue.message });
      }
    }
    if (issues.length > 0) throw new EnvError(issues);
    return picked as Pick<Out, K>;
  };
}
