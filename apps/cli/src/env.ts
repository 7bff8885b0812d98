import type { CliEnv, RawEnv } from '@loadline/config';
import { UsageError } from './exit-codes.js';

/** The variables a command reads (all of CliEnv when it names none). */
export interface CliEnvReader {
  (): Promise<CliEnv>;
  <K extends keyof CliEnv>(...names: [K, ...K[]]): Promise<Pick<CliEnv, K>>;
}

/**
 * The CLI's environment, parsed once, when the first command that reads it runs (`bench`
 * or `validate` do not load zod for it). A command gets the variables it names, and fails
 * only on a bad one of those (a DATABASE_URL meant for another tool does not stop
 * `loadline runs`): bad input, exit 2, naming the variable and why.
 */
export function cliEnvOnce(env: RawEnv): CliEnvReader {
  let pick: Promise<(names: (keyof CliEnv)[]) => Partial<CliEnv>> | undefined;
  return (async (...names: (keyof CliEnv)[]) => {
    pick ??= import('@loadline/config').then(({ CliEnv, envPicker }) => {
      const picker = envPicker(CliEnv, env);
      return (wanted) => picker(...wanted);
    });
    const from = await pick;
    try {
      return from(names);
    } catch (error) {
      const { EnvError } = await import('@loadline/config');
      throw error instanceof EnvError ? new UsageError(undefined, error.message) : error;
    }
  }) as CliEnvReader;
}
