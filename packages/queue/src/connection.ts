import { DEFAULT_REDIS_URL } from '@loadline/config';
import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';

export { DEFAULT_REDIS_URL };

/**
 * A Redis connection. `maxRetriesPerRequest: null` is what BullMQ workers need (a
 * blocking command must wait through a reconnect rather than fail). A `rediss://` URL is
 * TLS; `tlsCa` (PEM) is the authority its certificate is checked against, when it is not
 * one the system trusts. User and password come in the URL (`rediss://agent:pw@host`).
 */
export function connectRedis(
  url = DEFAULT_REDIS_URL,
  options: RedisOptions & { tlsCa?: string | Buffer } = {},
): Redis {
  const { tlsCa, ...rest } = options;
  const tls = url.startsWith('rediss://') && tlsCa !== undefined ? { tls: { ca: tlsCa } } : {};
  return new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false, ...tls, ...rest });
}

/**
 * Options (not an instance) for a BullMQ worker or queue that should own its connections,
 * including a worker's blocking one: the same server as `redis`, retrying through reconnects.
 */
export function bullConnection(redis: Redis): ConnectionOptions {
  return { ...redis.options, maxRetriesPerRequest: null } as ConnectionOptions;
}

/** true when a Redis answers PING at `url` within `timeoutMs`. */
export async function redisAnswers(
  url = DEFAULT_REDIS_URL,
  timeoutMs = 1000,
  tlsCa?: string | Buffer,
): Promise<boolean> {
  const redis = new Redis(url, {
    ...(url.startsWith('rediss://') && tlsCa !== undefined ? { tls: { ca: tlsCa } } : {}),
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    lazyConnect: true,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}
