// Each variable declared once: how its value is checked, what it means, its default. The
// process schemas (processes.ts) pick the ones they read.
import { z } from 'zod';
import {
  DEFAULT_API_URL,
  DEFAULT_DATA_DIR,
  DEFAULT_NAMESPACE,
  DEFAULT_REDIS_URL,
} from './defaults.js';
import { EnvError } from './parse.js';

/** A URL as it may be printed: any password replaced by ***. */
export function redactUrl(text: string): string {
  return text.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}

/** Why `text` is not a URL with one of `protocols` (e.g. 'http:'), or undefined. */
export function urlProblem(text: string, protocols: string[], example: string): string | undefined {
  const schemes = protocols.map((p) => `${p}//`).join(' or ');
  // "an http://" (aitch), "a redis://"
  const kinds = `${/^h/.test(schemes) ? 'an' : 'a'} ${schemes}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    const port = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*:([^/?#@]*)(?:[/?#]|$)/i.exec(text)?.[1];
    if (port !== undefined && !/^\d+$/.test(port)) {
      return `port "${port}" is not a number (expected ${kinds} URL like ${example})`;
    }
    if (port !== undefined) return `port ${port} is out of range (0–65535)`;
    return `expected ${kinds} URL like ${example}, got "${redactUrl(text)}"`;
  }
  if (!protocols.includes(url.protocol)) {
    return `expected ${kinds} URL like ${example}, got "${redactUrl(text)}"`;
  }
  return undefined;
}

function url(protocols: string[], example: string) {
  return z.string().superRefine((text, ctx) => {
    const problem = urlProblem(text, protocols, example);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

export const httpUrl = (example: string) => url(['http:', 'https:'], example);
export const redisUrl = url(['redis:', 'rediss:'], DEFAULT_REDIS_URL);
export const postgresUrl = url(['postgres:', 'postgresql:'], 'postgres://user@host:5432/db');

export const LOADLINE_API = httpUrl(DEFAULT_API_URL)
  .default(DEFAULT_API_URL)
  .meta({ description: 'The control API.' });

export const REDIS_URL = redisUrl.optional().meta({
  description: 'The Redis control and agents share (jobs, signals, results).',
  default: DEFAULT_REDIS_URL,
});

export const LOADLINE_NAMESPACE = z
  .string()
  .regex(/^\S+$/, 'expected a Redis key namespace without spaces')
  .default(DEFAULT_NAMESPACE)
  .meta({
    description:
      'Prefix of every Redis key and queue, so that installations (or test runs) can share a Redis.',
  });

export const LOADLINE_DATA_DIR = z
  .string()
  .optional()
  .meta({
    description:
      'Embedded state: PGlite (`pg/`), chdb (`clickhouse/`) and the shadow master secret.',
    default: `\`${DEFAULT_DATA_DIR}\` in the working directory`,
  });

export const DATABASE_URL = postgresUrl.optional().meta({
  description: 'Postgres for metadata (runs, scenarios, environments) instead of embedded PGlite.',
  default: `embedded PGlite under the data directory`,
});

export const CLICKHOUSE_URL = httpUrl('http://clickhouse:8123').optional().meta({
  description: 'A ClickHouse server or cluster for results instead of embedded chdb.',
  default: 'embedded chdb under the data directory',
});

export const CLICKHOUSE_CLUSTER = z
  .string()
  .regex(
    /^(\{cluster\}|[A-Za-z_][A-Za-z0-9_-]{0,62})$/,
    "a cluster name from <remote_servers> (letters, digits, _ and -), or {cluster} for the nodes' macro",
  )
  .optional()
  .meta({
    description:
      "The ClickHouse cluster (a `<remote_servers>` name, or `{cluster}`) that CLICKHOUSE_URL's node belongs to: control's migrations create Replicated `*_local` tables and Distributed tables `ON CLUSTER` (infra/clickhouse/cluster-schema.sql) and results are deleted from the local tables on every shard. Needs CLICKHOUSE_URL, Keeper and ClickHouse 23.10+.",
    default: 'one server: single-node tables',
  });

export const LOADLINE_SHADOW_SECRET = z
  .string()
  .min(16, 'use at least 16 characters of secret')
  .optional()
  .meta({
    description:
      "Master secret of shadow tags; each environment's key is derived from it (`shadowSecretFor`).",
    default: 'generated once into the data directory',
  });

export const CHROMIUM_PATH = z.string().optional().meta({
  description: 'The Chromium `capacity plan --format pdf` prints with.',
  default: '/usr/bin/chromium',
});

/** The items of a comma-separated list, trimmed, empty ones dropped. */
export function listItems(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * A comma-separated list (kept as text, so a parsed environment is an environment still;
 * read it with listItems).
 */
const list = (itemPattern: RegExp | ((item: string) => boolean), what: string) =>
  z.string().superRefine((text, ctx) => {
    const fits =
      typeof itemPattern === 'function' ? itemPattern : (i: string) => itemPattern.test(i);
    for (const item of listItems(text)) {
      if (!fits(item)) {
        ctx.addIssue({ code: 'custom', message: `"${item}" is not ${what}` });
      }
    }
  });

export const LOADLINE_PUBLIC_HOSTS = list(/^[A-Za-z0-9.:[\]_-]+$/, 'a host name or address')
  .optional()
  .meta({
    description:
      'Host names the API (and console) answer to besides loopback, comma-separated; any other `Host` header is refused (DNS rebinding).',
    default: 'loopback names and the listening address only',
  });

export const LOADLINE_TOKEN = z
  .string()
  .regex(/^llt_[A-Za-z0-9_-]{43}$/, 'expected an API token (llt_…)')
  .optional()
  .meta({
    description:
      'An API token for every command that calls control (CI); wins over the credentials file.',
    default: 'the token `loadline login` stored for the API URL',
  });

export const LOADLINE_AGENT_TOKEN = z
  .string()
  .regex(
    /^llt_[A-Za-z0-9_-]{43}$/,
    'expected an agent token (llt_…, from `loadline token create --role agent`)',
  )
  .optional()
  .meta({
    description:
      'The agent token an agent enrolls with (a variable, not a flag: it must not show in `ps`).',
    default: 'required by `loadline agent`',
  });

export const LOADLINE_REDIS_CA = z.string().optional().meta({
  description:
    "A PEM file of the authority that signed Redis's TLS certificate (`rediss://` URLs), when the system does not trust it.",
  default: 'the system trust store',
});

export const LOADLINE_TRUSTED_PROXIES = list(
  /^[A-Za-z0-9.:[\]/*_-]+$/,
  'a host, address or CIDR block',
)
  .optional()
  .meta({
    description:
      'Proxies (hosts, addresses, CIDR blocks, comma-separated) whose X-Forwarded-For names the caller in the audit log and for sign-in limits: the console, an Ingress.',
    default: 'loopback (the console of `loadline up`)',
  });

/** The parts of LOADLINE_SATURATION that are set; the rest keep their defaults. */
export interface SaturationSetting {
  lateShare?: number;
  eventLoopDelayP99Ms?: number;
  forS?: number;
}

const SATURATION_PART = /^(late)=(\d+(?:\.\d+)?)%$|^(loop)=(\d+(?:\.\d+)?)ms$|^(for)=(\d+)s$/;

/** LOADLINE_SATURATION read (`late=1%,loop=50ms,for=5s`), or why it cannot be. */
export function saturationSetting(text: string | undefined): SaturationSetting | string {
  const setting: SaturationSetting = {};
  for (const part of listItems(text)) {
    const match = SATURATION_PART.exec(part);
    if (!match) {
      return `"${part}" is not late=N%, loop=Nms or for=Ns (e.g. late=1%,loop=50ms,for=5s)`;
    }
    if (match[1]) {
      const share = Number(match[2]) / 100;
      if (share > 1) return `late=${match[2]}% is over 100 %`;
      setting.lateShare = share;
    } else if (match[3]) {
      const ms = Number(match[4]);
      if (ms <= 0) return 'loop= must be above 0 ms';
      setting.eventLoopDelayP99Ms = ms;
    } else {
      const s = Number(match[6]);
      if (s < 1 || s > 3600) return 'for= must be 1 to 3600 s';
      setting.forS = s;
    }
  }
  return setting;
}

export const LOADLINE_SATURATION = z
  .string()
  .superRefine((text, ctx) => {
    const setting = saturationSetting(text);
    if (typeof setting === 'string') ctx.addIssue({ code: 'custom', message: setting });
  })
  .optional()
  .meta({
    description:
      'When a load generator counts as saturated, making its run `invalid` (exit 5): late sends above `late` of what it sent, or event-loop delay p99 above `loop`, every second for `for` (or all of a shorter run). Parts left out keep their defaults.',
    default: '`late=1%,loop=50ms,for=5s`',
  });

export const LOADLINE_RESULTS_BACKLOG = z
  .string()
  .superRefine((text, ctx) => {
    const problem = !/^\d+$/.test(text)
      ? 'expected a whole number of results'
      : Number(text) < 10 || Number(text) > 150_000
        ? 'expected 10 to 150000 (the results stream holds 200000 before Redis trims it)'
        : undefined;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .default('100000')
  .meta({
    description:
      'Results waiting in Redis to be stored (storage slow or down) past which control stops every active run, saying why, before the stream could drop any.',
  });

/** LOADLINE_CONTROL_GRACE as milliseconds (`30s`, `90`, `500ms`, `2m`), or a problem text. */
export function controlGraceMs(text: string): number | string {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) return 'expected a duration such as 30s, 500ms or 2m';
  const unit = match[2] ?? 's';
  const ms = Number(match[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000);
  if (ms > 600_000) return 'expected at most 10m (agents must not go on for long unwatched)';
  return Math.round(ms);
}

export const LOADLINE_CONTROL_GRACE = z
  .string()
  .superRefine((text, ctx) => {
    const grace = controlGraceMs(text);
    if (typeof grace === 'string') ctx.addIssue({ code: 'custom', message: grace });
  })
  .default('30s')
  .meta({
    description:
      "How long agents go on sending a run's load while control is away (a restart, a standby taking over), still obeying a stop written to Redis and applying the run's guardrails to their own traffic; past it they stop. An environment's `controlGraceS` may only shorten it.",
  });

export const LOADLINE_ADVERTISE_URL = httpUrl('https://10.0.3.7:7700').optional().meta({
  description:
    "Where other controls reach this one's API (a standby forwards writes to the active control there). Its host must be an address or name the others can reach and its TLS certificate covers.",
  default: "the listening URL; for a wildcard listener, this machine's first non-loopback address",
});

/** A Redis server's address as a Sentinel or Cluster setting lists it. */
export interface RedisNode {
  host: string;
  port: number;
}

const HOST_PORT = /^(?:([A-Za-z0-9._-]+)|\[([0-9A-Fa-f:.]+)\]):(\d{1,5})$/;

/** `host:port` or `[v6]:port` read, or undefined when it is neither. */
export function redisNode(item: string): RedisNode | undefined {
  const match = HOST_PORT.exec(item);
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65535) return undefined;
  return { host: (match[1] ?? match[2]) as string, port };
}

const redisNodes = (what: string) =>
  list((item) => redisNode(item) !== undefined, `host:port (${what}, e.g. 10.0.0.5:26379)`);

export const REDIS_SENTINELS = redisNodes('a Sentinel').optional().meta({
  description:
    "Redis Sentinels (comma-separated host:port): connections ask them for the master of REDIS_SENTINEL_MASTER and follow a failover. REDIS_URL then gives only the master's user, password, database and TLS (`rediss://`); its host is not used.",
  default: 'none: REDIS_URL names the server',
});

export const REDIS_SENTINEL_MASTER = z
  .string()
  .regex(/^[A-Za-z0-9._-]+$/, 'expected a Sentinel master name (letters, digits, . _ -)')
  .default('loadline')
  .meta({ description: 'The master name the Sentinels of REDIS_SENTINELS watch.' });

export const REDIS_SENTINEL_PASSWORD = z
  .string()
  // Whoever holds it may reconfigure the Sentinels (fail Redis over at will): no short one.
  .min(16, 'at least 16 characters (it lets its holder reconfigure the Sentinels)')
  .optional()
  .meta({
    description:
      'The password of the Sentinels themselves (their `requirepass`), when they have one, at least 16 characters; TLS to them follows REDIS_URL (`rediss://`).',
    default: 'none',
  });

export const REDIS_CLUSTER_NODES = redisNodes('a Redis Cluster node').optional().meta({
  description:
    'Redis Cluster: some of its nodes (comma-separated host:port; the rest are discovered). Keys are then hash-tagged by namespace so each queue stays in one slot. REDIS_URL gives only user, password and TLS (`rediss://`). Not with REDIS_SENTINELS.',
  default: 'none: REDIS_URL names the server',
});

/** How Loadline reaches Redis beyond one server: through Sentinels, or a Cluster. */
export type RedisTopology =
  | { kind: 'sentinel'; sentinels: RedisNode[]; master: string; sentinelPassword?: string }
  | { kind: 'cluster'; nodes: RedisNode[] };

/**
 * The topology the (already parsed) Redis variables describe, undefined for one server.
 * Throws EnvError when they contradict each other.
 */
export function redisTopology(env: {
  REDIS_SENTINELS?: string | undefined;
  REDIS_SENTINEL_MASTER?: string | undefined;
  REDIS_SENTINEL_PASSWORD?: string | undefined;
  REDIS_CLUSTER_NODES?: string | undefined;
}): RedisTopology | undefined {
  const nodes = (text: string | undefined) =>
    listItems(text).map((item) => redisNode(item) as RedisNode);
  const sentinels = nodes(env.REDIS_SENTINELS);
  const cluster = nodes(env.REDIS_CLUSTER_NODES);
  if (sentinels.length > 0 && cluster.length > 0) {
    throw new EnvError([
      {
        variable: 'REDIS_CLUSTER_NODES',
        message:
          'set REDIS_CLUSTER_NODES or REDIS_SENTINELS, not both (a Cluster does its own failover)',
      },
    ]);
  }
  if (cluster.length > 0) return { kind: 'cluster', nodes: cluster };
  if (sentinels.length === 0) return undefined;
  return {
    kind: 'sentinel',
    sentinels,
    master: env.REDIS_SENTINEL_MASTER ?? 'loadline',
    ...(env.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: env.REDIS_SENTINEL_PASSWORD } : {}),
  };
}

export const LOADLINE_INGEST_THREADS = z
  .string()
  .superRefine((text, ctx) => {
    if (!/^\d+$/.test(text) || Number(text) > 32) {
      ctx.addIssue({ code: 'custom', message: 'expected a whole number of threads, 0 to 32' });
    }
  })
  .default('0')
  .meta({
    description:
      "Threads that decode results before control stores them (parse, validate, merge histograms): 0 decodes on control's main thread. Past a few hundred agents one thread cannot keep up (infra/SIZING.md); give control one more core per thread, and at least as many LOADLINE_RESULT_STREAMS as threads, so that batches decode side by side.",
  });

export const LOADLINE_RESULT_STREAMS = z
  .string()
  .superRefine((text, ctx) => {
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 64) {
      ctx.addIssue({ code: 'custom', message: 'expected a whole number of streams, 1 to 64' });
    }
  })
  .default('1')
  .meta({
    description:
      "Results streams agents push to, each agent to one picked by a hash of its id; control reads each with its own reader. More than 1 spreads results over a Redis Cluster's nodes. Shard jobs carry it, so agents need not be told. Lower it only with no run active (a stream dropped from the count is no longer read).",
  });
