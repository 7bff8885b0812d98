/**
 * Redis for the cart (one client per cart instance, as separate processes would have) and
 * the connection options BullMQ gets: options, not a client, so that BullMQ owns and
 * closes every connection it makes (including a worker's blocking one).
 */
import { DEFAULT_REDIS_URL } from '@loadline/config';
import type { ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';

export { DEFAULT_REDIS_URL };

/** Throws a message naming the URL when no Redis answers PING there. */
export async function checkRedis(url: string, timeoutMs = 2000): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let cause: Error | undefined;
  redis.on('error', (error: Error) => {
    cause ??= error;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    const reason = (cause ?? (error as Error)).message;
    throw new Error(
      `no Redis answers at ${url} (${reason}); start redis-server or give another URL`,
    );
  } finally {
    redis.disconnect();
  }
}

/**
 * The Redis the mall uses: the given URL (which must answer), none for null, or for
 * undefined the default one when it answers, else none.
 */
export async function resolveRedis(
  url: string | null | undefined,
  log: (line: string) => void,
): Promise<string | null> {
  if (url === null) return null;
  if (url !== undefined) {
    await checkRedis(url);
    return url;
  }
  try {
    await checkRedis(DEFAULT_REDIS_URL, 1000);
    return DEFAULT_REDIS_URL;
  } catch (error) {
    log(`${(error as Error).message}; running without Redis: cart and orders answer 503`);
    return null;
  }
}

/** A client for request handling: fails a command fast while Redis is away, reconnects. */
export function connectRedis(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2000 });
  redis.on('error', () => {});
  return redis;
}

export function bullConnection(url: string): ConnectionOptions {
  const probe = new Redis(url, { lazyConnect: true });
  const { host, port, username, password, db, tls, family } = probe.options;
  probe.disconnect();
  return {
    host,
    port,
    db,
    family,
    maxRetriesPerRequest: null,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(tls ? { tls } : {}),
  } as ConnectionOptions;
}

/** Deletes every key under `prefix` (tests, and `--reset`). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}
