// Environment → typed config, parsed once (used by the zero-code preload; SDK users may
// call it too). Nothing else in the package reads process.env.
import { z } from 'zod';

const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );

export const ShadowEnv = z.object({
  LOADLINE_SHADOW_SECRET: z
    .string()
    .min(16, 'use at least 16 characters of secret')
    .meta({ description: "The environment's shadow key: tags signed with it are shadow traffic." }),
  LOADLINE_SHADOW_TABLES: list.meta({
    description: 'Production tables to route to `shadow_<table>`, comma-separated.',
    default: 'no tables',
  }),
  LOADLINE_SHADOW_INTERNAL_HOSTS: list.meta({
    description:
      'Internal hops (`*.svc.cluster.local,inventory:8080`): outgoing calls keep the tag only for them, and a tag arriving at one of them is accepted whatever target its run was aimed at.',
    default: 'no hosts',
  }),
  LOADLINE_CONTROL_URL: z.url().optional().meta({
    description: 'Where leak reports go (`POST /runs/:id/leaks`).',
    default: 'not reported',
  }),
  LOADLINE_SERVICE_NAME: z
    .string()
    .min(1)
    .default('unknown-service')
    .meta({ description: 'The service named in leak reports and logs.' }),
});
export type ShadowEnv = z.infer<typeof ShadowEnv>;

export interface ShadowConfig {
  secret: string;
  tables: string[];
  internalHosts: string[];
  controlUrl: string | undefined;
  service: string;
}

export class ShadowConfigError extends Error {
  override readonly name = 'ShadowConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid shadow configuration:\n  ${problems.join('\n  ')}`);
  }
}

/** Reports every problem at once, each naming the variable. */
export function parseShadowEnv(env: Record<string, string | undefined>): ShadowConfig {
  const parsed = ShadowEnv.safeParse(env);
  if (!parsed.success) {
    throw new ShadowConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`),
    );
  }
  const e = parsed.data;
  return {
    secret: e.LOADLINE_SHADOW_SECRET,
    tables: e.LOADLINE_SHADOW_TABLES,
    internalHosts: e.LOADLINE_SHADOW_INTERNAL_HOSTS,
    controlUrl: e.LOADLINE_CONTROL_URL,
    service: e.LOADLINE_SERVICE_NAME,
  };
}
