import type { CliEnv } from '@loadline/config';

// Kept apart from the client so that `main.ts` can name these without loading zod.

/** The variables a command that calls control reads. */
export const API_ENV = ['LOADLINE_API', 'LOADLINE_TOKEN', 'XDG_CONFIG_HOME'] as const;
export type ApiEnv = Pick<CliEnv, (typeof API_ENV)[number]>;
