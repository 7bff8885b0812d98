// One schema per process: the variables it reads. Parse with parseEnv once at start.
import { z } from 'zod';
import { DEFAULT_API_PORT, DEFAULT_API_URL, DEFAULT_REDIS_URL } from './defaults.js';
import {
  CHROMIUM_PATH,
  CLICKHOUSE_CLUSTER,
  CLICKHOUSE_URL,
  DATABASE_URL,
  httpUrl,
  LOADLINE_ADVERTISE_URL,
  LOADLINE_AGENT_TOKEN,
  LOADLINE_API,
  LOADLINE_CONTROL_GRACE,
  LOADLINE_DATA_DIR,
  LOADLINE_INGEST_THREADS,
  LOADLINE_NAMESPACE,
  LOADLINE_PUBLIC_HOSTS,
  LOADLINE_REDIS_CA,
  LOADLINE_RESULT_STREAMS,
  LOADLINE_RESULTS_BACKLOG,
  LOADLINE_SATURATION,
  LOADLINE_SHADOW_SECRET,
  LOADLINE_TOKEN,
  LOADLINE_TRUSTED_PROXIES,
  REDIS_CLUSTER_NODES,
  REDIS_SENTINEL_MASTER,
  REDIS_SENTINEL_PASSWORD,
  REDIS_SENTINELS,
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
  CLICKHOUSE_CLUSTER,
  LOADLINE_SHADOW_SECRET,
  REDIS_URL,
  REDIS_SENTINELS,
  REDIS_SENTINEL_MASTER,
  REDIS_SENTINEL_PASSWORD,
  REDIS_CLUSTER_NODES,
  LOADLINE_NAMESPACE,
  LOADLINE_REDIS_CA,
  LOADLINE_RESULT_STREAMS,
  LOADLINE_INGEST_THREADS,
  LOADLINE_PUBLIC_HOSTS,
  LOADLINE_TRUSTED_PROXIES,
  LOADLINE_SATURATION,
  LOADLINE_RESULTS_BACKLOG,
  LOADLINE_CONTROL_GRACE,
  LOADLINE_ADVERTISE_URL,
  LOADLINE_ADMIN_PASSWORD: z
    .string()
    .min(12, 'use at least 12 characters')
    .max(1024)
    .optional()
    .meta({
      description:
        "The first admin's password, when control creates the `admin` user (its first start on an empty database).",
      default: 'generated and printed once',
    }),
  LOADLINE_OIDC_ISSUER: httpUrl('https://id.example.com/realms/loadline').optional().meta({
    description:
      'Single sign-on: the OpenID Connect issuer (discovery at `/.well-known/openid-configuration`). Set with the client id, secret and redirect URL.',
    default: 'no single sign-on',
  }),
  LOADLINE_OIDC_CLIENT_ID: z.string().min(1).max(256).optional().meta({
    description: "Single sign-on: Loadline's client id at the provider.",
  }),
  LOADLINE_OIDC_CLIENT_SECRET: z.string().min(1).max(1024).optional().meta({
    description: "Single sign-on: the client's secret.",
  }),
  LOADLINE_OIDC_REDIRECT_URL: httpUrl('http://127.0.0.1:3000/api/control/auth/oidc/callback')
    .optional()
    .meta({
      description:
        "Single sign-on: the callback as the browser reaches it (the console's `/api/control/auth/oidc/callback`).",
    }),
  LOADLINE_OIDC_ROLES: z.string().max(4096).optional().meta({
    description:
      'Single sign-on: groups to roles, e.g. `sre=operator:staging|production,platform=admin,*=viewer`; the highest matching role wins; no match, no sign-in.',
    default: 'nobody signs in until set',
  }),
  LOADLINE_OIDC_GROUPS_CLAIM: z.string().min(1).max(128).default('groups').meta({
    description: "Single sign-on: the ID token's claim that lists the user's groups.",
  }),
});
export type ControlEnv = z.infer<typeof ControlEnv>;

/** A load-generator agent (`loadline agent`, and the agents `loadline up` starts). */
export const AgentEnv = z.object({
  LOADLINE_API: meaning(
    LOADLINE_API,
    'The control API the agent enrolls with (`--api` overrides).',
  ),
  LOADLINE_AGENT_TOKEN,
  REDIS_URL: meaning(
    REDIS_URL,
    'The Redis shards, signals and results go through (`--redis` overrides).',
  ),
  LOADLINE_NAMESPACE: meaning(
    LOADLINE_NAMESPACE,
    'Redis key namespace shared with control (`--namespace` overrides).',
  ),
  REDIS_SENTINELS,
  REDIS_SENTINEL_MASTER,
  REDIS_SENTINEL_PASSWORD,
  REDIS_CLUSTER_NODES,
  LOADLINE_REDIS_CA,
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
  LOADLINE_TOKEN,
  LOADLINE_AGENT_TOKEN,
  XDG_CONFIG_HOME: z.string().optional().meta({
    description:
      '`loadline login` keeps credentials in `$XDG_CONFIG_HOME/loadline/credentials.json` (0600).',
    default: '`~/.config`',
  }),
  LOADLINE_K6_MODULES: z.string().optional().meta({
    description:
      'Where `loadline run script.js` looks for remote k6 modules (`https://jslib.k6.io/k6-utils/1.4.0/index.js` → `$LOADLINE_K6_MODULES/jslib.k6.io/k6-utils/1.4.0/index.js`): agents have no internet.',
    default: '`~/.cache/loadline/k6-modules`',
  }),
});
export type CliEnv = z.infer<typeof CliEnv>;

/** The web console's server side (Next.js). */
export const ConsoleEnv = z.object({
  LOADLINE_API: meaning(LOADLINE_API, 'The control API the console forwards `/api/control/*` to.'),
  LOADLINE_PUBLIC_HOSTS,
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
