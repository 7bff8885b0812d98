// shadowRedis and the ioredis guard against the real Redis. Every key lives under a
// per-run namespace (the app's keyPrefix) and is deleted afterwards.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { runInShadow } from '../context.js';
import { ShadowLeakError } from '../leaks.js';
import { createShadow } from '../shadow.js';
import { shadowRedis } from './redis.js';
import { instrumentRedis } from './redis-guard.js';

const ns = `shadowtest-${randomBytes(4).toString('hex')}:`;
const shadow = createShadow({ secret: 'redis-secret-0123456', log: () => {} });
const ctx = { runId: 'run-redis', tag: 'unused-here' };
let raw: Redis; // no prefix: sees the real key names
let app: Redis; // the service's client, with its own keyPrefix
let routed: Redis;

before(() => {
  instrumentRedis(Redis, shadow);
  raw = new Redis({ host: '127.0.0.1', lazyConnect: false });
  app = new Redis({ host: '127.0.0.1', keyPrefix: ns });
  routed = shadowRedis(app);
});

after(async () => {
  const keys = [...(await raw.keys(`${ns}*`)), ...(await raw.keys(`shadow:${ns}*`))];
  if (keys.length) await raw.del(...keys);
  await routed.quit();
  await raw.quit();
});

describe('shadowRedis', () => {
  it('puts tagged keys under shadow: outside the app prefix, untagged keys in production', async () => {
    await routed.set('cart:1', 'prod');
    await runInShadow(ctx, () => routed.set('cart:1', 'shadow'));
    assert.equal(await raw.get(`${ns}cart:1`), 'prod');
    assert.equal(await raw.get(`shadow:${ns}cart:1`), 'shadow');
    assert.equal(await runInShadow(ctx, () => routed.get('cart:1')), 'shadow');
    assert.equal(await routed.get('cart:1'), 'prod');
  });

  it('prefixes every key of multi-key commands, pipelines and MULTI', async () => {
    await runInShadow(ctx, async () => {
      await routed.mset('a', '1', 'b', '2');
      await routed.pipeline().incr('a').rpush('list', 'x').exec();
      await routed.multi().incr('b').sadd('set', 'm').exec();
      assert.deepEqual(await routed.mget('a', 'b'), ['2', '3']);
    });
    assert.deepEqual(await raw.mget(`${ns}a`, `${ns}b`), [null, null]);
    assert.deepEqual(await raw.mget(`shadow:${ns}a`, `shadow:${ns}b`), ['2', '3']);
    assert.equal(await raw.llen(`shadow:${ns}list`), 1);
    assert.equal(await raw.scard(`shadow:${ns}set`), 1);
  });

  it('scans only shadow keys and returns them the way production scan would', async () => {
    const found = await runInShadow(ctx, async () => {
      const keys = new Set<string>();
      let cursor = '0';
      do {
        const [next, batch] = await routed.scan(cursor, 'MATCH', `${ns}*`, 'COUNT', 100);
        for (const k of batch) keys.add(k);
        cursor = next;
      } while (cursor !== '0');
      return [...keys].sort();
    });
    assert.deepEqual(found, [`${ns}a`, `${ns}b`, `${ns}cart:1`, `${ns}list`, `${ns}set`]);
    assert.deepEqual(await runInShadow(ctx, () => routed.keys(`${ns}cart:*`)), [`${ns}cart:1`]);
  });
});

describe('ioredis guard', () => {
  it('refuses tagged writes from a raw client, allows tagged reads of production keys', async () => {
    await raw.set(`${ns}price:1`, '100');
    await runInShadow(ctx, async () => {
      assert.equal(await raw.get(`${ns}price:1`), '100');
      await assert.rejects(raw.set(`${ns}price:1`, '1'), ShadowLeakError);
      await assert.rejects(raw.del(`shadow:${ns}x`, `${ns}price:1`), ShadowLeakError);
      await assert.rejects(raw.flushdb(), ShadowLeakError);
      await raw.set(`shadow:${ns}ok`, '1'); // already shadow: fine
    });
    assert.equal(await raw.get(`${ns}price:1`), '100');
    assert.equal(await raw.get(`shadow:${ns}ok`), '1');
  });

  it('refuses a whole pipeline or MULTI containing a production write, before sending any of it', async () => {
    await runInShadow(ctx, async () => {
      await assert.rejects(
        raw.pipeline().set(`shadow:${ns}p1`, '1').set(`${ns}p2`, '2').exec(),
        ShadowLeakError,
      );
      await assert.rejects(
        raw.multi().set(`shadow:${ns}m1`, '1').incr(`${ns}m2`).exec(),
        ShadowLeakError,
      );
    });
    assert.equal(await raw.exists(`shadow:${ns}p1`, `${ns}p2`, `shadow:${ns}m1`, `${ns}m2`), 0);
    assert.equal(shadow.counters.leaks.redis, 5);
  });

  it('refuses scripts whose declared keys are production keys', async () => {
    await runInShadow(ctx, () =>
      assert.rejects(
        raw.eval("return redis.call('set', KEYS[1], 'x')", 1, `${ns}s`),
        ShadowLeakError,
      ),
    );
    assert.equal(await raw.exists(`${ns}s`), 0);
  });
});
