// Explicit Redis routing for ioredis: in a tagged context every call goes to a sibling
// client whose keyPrefix is `shadow:` + the client's own keyPrefix, so multi-key
// commands, pipelines and MULTI are prefixed by ioredis itself. The shadow prefix goes
// outermost so one rule (`shadow:*`) identifies shadow data for the guard and cleanup.
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import type { Redis, ScanStreamOptions } from 'ioredis';
import { currentShadow } from '../context.js';
import { SHADOW_KEY_PREFIX, shadowKey, shadowScanArgs, unshadowKey } from './redis-keys.js';

/** Always handled by the production client: lifecycle and events belong to the app's client. */
const LIFECYCLE = new Set<string | symbol>([
  'quit',
  'disconnect',
  'connect',
  'duplicate',
  'on',
  'once',
  'off',
  'addListener',
  'removeListener',
  'removeAllListeners',
  'emit',
  'status',
  'options',
]);

type Fn = (...args: unknown[]) => unknown;

/**
 * SCAN / KEYS patterns are not keys, so ioredis never prefixes them: prefix the pattern
 * and strip `shadow:` from results, which then look exactly like production results.
 * Only top-level scan/keys/scanStream; SCAN inside a pipeline is not rewritten.
 */
function scanAware(client: Redis): Record<string, Fn> {
  return {
    scan: async (...args: unknown[]) => {
      const [cursor, keys] = (await Reflect.apply(
        client.scan,
        client,
        shadowScanArgs(args, 1),
      )) as [string, string[]];
      return [cursor, keys.map(unshadowKey)];
    },
    keys: async (pattern: unknown) =>
      ((await client.keys(String(shadowKey(pattern)))) as string[]).map(unshadowKey),
    scanStream: (opts: unknown) => {
      const o = (opts ?? {}) as ScanStreamOptions;
      const inner = client.scanStream({ ...o, match: `${SHADOW_KEY_PREFIX}${o.match ?? '*'}` });
      return (inner as Readable).pipe(
        new Transform({
          objectMode: true,
          transform(keys: string[], _enc, done) {
            done(null, keys.map(unshadowKey));
          },
        }),
      );
    },
  };
}

export function shadowRedis<T extends Redis>(redis: T): T {
  let shadowClient: Redis | undefined;
  let scan: Record<string, Fn> | undefined;
  const sibling = () => {
    if (!shadowClient) {
      const own = redis.options.keyPrefix ?? '';
      shadowClient = redis.duplicate({ keyPrefix: `${SHADOW_KEY_PREFIX}${own}` });
      // Errors surface on the app's client, where its handlers are.
      shadowClient.on('error', (err) => redis.emit('error', err));
      scan = scanAware(shadowClient);
    }
    return shadowClient;
  };
  const closeBoth =
    (method: 'quit' | 'disconnect') =>
    async (...args: unknown[]) => {
      await shadowClient?.[method]();
      return Reflect.apply(redis[method], redis, args);
    };
  return new Proxy(redis, {
    get(target, prop, receiver) {
      if (prop === 'quit' || prop === 'disconnect') return closeBoth(prop);
      const tagged = currentShadow() !== undefined && !LIFECYCLE.has(prop);
      const client = tagged ? sibling() : target;
      if (tagged && typeof prop === 'string' && scan?.[prop]) return scan[prop];
      const value = Reflect.get(client, prop, tagged ? client : receiver);
      return typeof value === 'function' ? value.bind(client) : value;
    },
  });
}
