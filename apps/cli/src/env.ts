import type { CliEnv, RawEnv } from '@loadline/config';
import { UsageError } from './exit-codes.js';

/**
 * The CLI's environment, parsed once, when the first command that reads it runs (so that
 * `bench` or `validate` do not load zod for it, nor fail on a variable they never use). A
 * bad variable is bad input: exit 2, naming it.
 */
export function cliEnvOnce(env: RawEnv): () => Promise<CliEnv> {
  let parsed: Promise<CliEnv> | undefined;
  return () => {
    parsed ??= import('@loadline/config').then(({ CliEnv, EnvError, parseEnv }) => {
      try {
        return parseEnv(CliEnv, env);
      } catch (error) {
        throw error instanceof EnvError ? new UsageError(undefined, error.message) : error;
      }
    });
    return parsed;
  };
}
