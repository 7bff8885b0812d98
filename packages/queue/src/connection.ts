import { DEFAULT_REDIS_URL, type RedisNode, type RedisTopology } from '@loadline/config';
import type { ConnectionOptions } from 'bullmq';
import { Cluster, type RedisOptions, Redis as Server } from 'ioredis';

export { DEFAULT_REDIS_URL };

/**
 * A connection to Loadline's Redis: one server (also when Sentinels pick it, following a
 * failover), or a Redis Cluster. Both speak the commands Loadline uses.
 */
export type Redis = Server | Cluster;

export interface ConnectOptions extends RedisOptions {
  /** PEM of the authority behind the TLS certificate of a `rediss://` Redis (and its Sentinels) */
  tlsCa?: string | Buffer;
  /** Sentinels or a Cluster (REDIS_SENTINELS, REDIS_CLUSTER_NODES); none: the URL's server */
  topology?: RedisTopology | undefined;
}

/**
 * A Redis connection. `maxRetriesPerRequest: null` is what BullMQ workers need (a
 * blocking command must wait through a reconnect rather than fail). A `rediss://` URL is
 * TLS; `tlsCa` (PEM) is the authority its certificate is checked against, when it is not
 * one the system trusts. User and password come in the URL (`rediss://agent:pw@host`);
 * with a topology the URL's host is not used, its user, password, database and TLS are.
 */
export function connectRedis(url = DEFAULT_REDIS_URL, options: ConnectOptions = {}): Redis {
  const { tlsCa, topology, ...rest } = options;
  const tls = url.startsWith('rediss://') ? { tls: tlsCa === undefined ? {} : { ca: tlsCa } } : {};
  const base: RedisOptions = { maxRetriesPerRequest: null, lazyConnect: false, ...tls, ...rest };
  if (topology?.kind === 'cluster') return connectCluster(url, topology.nodes, base);
  if (topology?.kind === 'sentinel') {
    return new Server(url, {
      ...base,
      sentinels: topology.sentinels,
      name: topology.master,
      ...(topology.sentinelPassword ? { sentinelPassword: topology.sentinelPassword } : {}),
      // A `rediss://` installation speaks TLS to the Sentinels as to the master.
      ...(base.tls ? { enableTLSForSentinelMode: true, sentinelTLS: base.tls } : {}),
      // Ask the Sentinels again every 100–500 ms while the master is away, so a connection
      // finds the promoted replica within half a second of its election. (Not ioredis's
      // failoverDetector: tried here, it left a connection closed for good now and then.)
      retryStrategy: (times: number) => Math.min(times * 100, 500),
      ...rest,
    });
  }
  return new Server(url, base);
}

/**
 * How long a command on a Cluster waits through a node's failover before it fails: a
 * replica is promoted cluster-node-timeout after its master stopped answering (15 s by
 * default) plus an election. A command that gave up sooner lost an agent's interval (a
 * test killed the master holding the results stream: with ioredis's 16 redirections,
 * ~3 s, sends failed).
 */
const CLUSTER_FAILOVER_WAIT_MS = 60_000;
const CLUSTER_RETRY_MS = 200;

/**
 * A Cluster client: the seed nodes, each node reached with the URL's user, password and
 * TLS. Retries keep commands waiting through a resharding or a replica's promotion
 * (CLUSTER_FAILOVER_WAIT_MS) rather than failing.
 */
function connectCluster(url: string, nodes: RedisNode[], base: RedisOptions): Cluster {
  const parsed = new URL(url);
  const { lazyConnect, ...redisOptions } = base;
  return new Cluster(nodes, {
    lazyConnect: lazyConnect ?? false,
    redisOptions: {
      ...redisOptions,
      ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
      ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    },
    enableOfflineQueue: true,
    retryDelayOnFailover: CLUSTER_RETRY_MS,
    retryDelayOnClusterDown: CLUSTER_RETRY_MS,
    maxRedirections: Math.ceil(CLUSTER_FAILOVER_WAIT_MS / CLUSTER_RETRY_MS),
  });
}

/** true for a Redis Cluster connection (keys hash-tagged, commands routed by slot). */
export function isCluster(redis: Redis): redis is Cluster {
  return (redis as Cluster).isCluster === true;
}

/** Another connection to the same Redis (same server, Sentinels or Cluster, same user). */
export function duplicateRedis(redis: Redis): Redis {
  return isCluster(redis) ? redis.duplicate() : redis.duplicate();
}

/**
 * The connection for a BullMQ worker or queue that should own its connections, including a
 * worker's blocking one: the same Redis as `redis`, retrying through reconnects. Options
 * (not an instance) for one server, so BullMQ creates and closes them; a Cluster's options
 * are not something BullMQ can build a Cluster from, so it gets a duplicate, which `release`
 * disconnects after BullMQ closed (BullMQ duplicates it again for a worker's blocking
 * connection, and closes that one itself).
 */
export function bullConnection(redis: Redis): {
  connection: ConnectionOptions;
  release: () => void;
} {
  if (isCluster(redis)) {
    const duplicate = redis.duplicate();
    return { connection: duplicate, release: () => duplicate.disconnect() };
  }
  return {
    connection: { ...redis.options, maxRetriesPerRequest: null } as ConnectionOptions,
    release: () => {},
  };
}

/** true when a Redis answers PING at `url` (or its topology) within `timeoutMs`. */
export async function redisAnswers(
  url = DEFAULT_REDIS_URL,
  timeoutMs = 1000,
  tlsCa?: string | Buffer,
  topology?: RedisTopology,
): Promise<boolean> {
  const redis = connectRedis(url, {
    ...(tlsCa === undefined ? {} : { tlsCa }),
    topology,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    sentinelRetryStrategy: () => null,
    connectTimeout: timeoutMs,
    lazyConnect: true,
  });
  if (isCluster(redis)) {
    redis.options.clusterRetryStrategy = () => null;
    redis.options.enableOfflineQueue = false;
  }
  redis.on('error', () => {});
  let timer: NodeJS.Timeout | undefined;
  try {
    // A Cluster's slots refresh has no connect timeout of its own: the race bounds it.
    const ping = (async () => {
      await redis.connect();
      return (await redis.ping()) === 'PONG';
    })();
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs * 2);
    });
    return await Promise.race([ping.catch(() => false), late]);
  } finally {
    clearTimeout(timer);
    redis.disconnect();
  }
}
