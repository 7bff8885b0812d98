// One schema per process: the variables it reads. Parse with parseEnv once at start.
import { z } from 'zod';
import { DEFAULT_API_PORT, DEFAULT_API_URL, DEFAULT_REDIS_URL } from './defaults.js';
import {
  CHROMIUM_PATH,
  CLICKHOUSE_URL,
  DATABASE_URL,
  httpUrl,
  LOADLINE_API,
  LOADLINE_DATA_DIR,
  LOADLINE_NAMESPACE,
  LOADLINE_SHADOW_SECRET,
  REDIS_URL,
  redisUrl,
} from './vars.js';

/** `schema` with its documentation's description replaced (validation and default kept). */
function meaning<S extends z.ZodType>(schema: S, description: string): S {
  return schema.meta({ ...schema.meta(), description });
}

/** The control plane (`loadline control`, and the control inside `loadline up`). */
export const ControlEnv = z.object({
  LOADLINE_API: meaning(
    LOADLINE_API,
    `Where the API listens: the host and port of this URL (port ${DEFAULT_API_PORT} when it names none).`,
  ),
  LOADLINE_DATA_DIR,
  DATABASE_URL,
  CLICKHOUSE_URL,
  LOADLINE_SHADOW_SECRET,
  REDIS_URL,
  LOADLINE_NAMESPACE,
});
export type ControlEnv = z.infer<typeof ControlEnv>;

/** A load-generator agent (`loadline agent`, and the agents `loadline up` starts). */
export const AgentEnv = z.object({
  REDIS_URL: meaning(
    REDIS_URL,
    'The Redis shards, signals and results go through (`--redis` overrides).',
  ),
  LOADLINE_NAMESPACE: meaning(
    LOADLINE_NAMESPACE,
    'Redis key namespace shared with control (`--namespace` overrides).',
  ),
});
export type AgentEnv = z.infer<typeof AgentEnv>;

/**
 * The `loadline` command. It runs control (`control`, `up`) and agents (`agent`) in its
 * own process, so it reads their variables too.
 */
export const CliEnv = z.object({
  ...ControlEnv.shape,
  LOADLINE_API: meaning(
    LOADLINE_API,
    'The control API commands talk to (`--api` overrides); `loadline control` and `up` listen on its host.',
  ),
  REDIS_URL: meaning(
    REDIS_URL,
    'The Redis of `agent`, `control`, `up` and `capacity validate`. Unset, `up` starts a `redis-server` when nothing answers on the default.',
  ),
  CHROMIUM_PATH,
});
export type CliEnv = z.infer<typeof CliEnv>;

/** The web console's server side (Next.js). */
export const ConsoleEnv = z.object({
  LOADLINE_API: meaning(LOADLINE_API, 'The control API the console forwards `/api/control/*` to.'),
});
export type ConsoleEnv = z.infer<typeof ConsoleEnv>;

/** `npm run demo` (the demo mall); flags override these. */
export const DemoMallEnv = z.object({
  REDIS_URL: redisUrl.optional().meta({
    description: 'Carts and the order queue (`--redis` overrides, `--no-redis` turns off).',
    default: `\`${DEFAULT_REDIS_URL}\` when it answers, else none`,
  }),
  DATABASE_URL: DATABASE_URL.meta({
    description: 'Orders in a Postgres server (`--database-url` overrides).',
    default: 'PGlite in memory, or under `--data-dir`',
  }),
  LOADLINE_SHADOW_SECRET: z.string().optional().meta({
    description:
      "The environment's shadow key (control's `shadowSecretFor`): tags signed with it are shadow traffic.",
    default: 'unset: every tag is untrusted, all traffic is production',
  }),
  LOADLINE_CONTROL_URL: httpUrl(DEFAULT_API_URL).optional().meta({
    description: 'Where leak reports go (`POST /runs/:id/leaks`).',
    default: 'unset: leaks are refused and counted, not reported',
  }),
});
export type DemoMallEnv = z.infer<typeof DemoMallEnv>;

/** The demo mall's payment service, a child process the mall starts. */
export const DemoPaymentEnv = z.object({
  DEMO_PAYMENT_REDIS_URL: redisUrl.optional().meta({
    description:
      'Set by the mall for its payment child (not argv: a password must not show in `ps`).',
    default: 'its `--redis` flag',
  }),
});
export type DemoPaymentEnv = z.infer<typeof DemoPaymentEnv>;
