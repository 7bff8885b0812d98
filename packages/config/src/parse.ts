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
