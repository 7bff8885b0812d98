// BullMQ routing and guard against the real Redis, on a queue name unique to this run.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as bullmq from 'bullmq';
import { Redis } from 'ioredis';
import { currentShadow, runInShadow } from '../context.js';
import { ShadowLeakError } from '../leaks.js';
import { createShadow } from '../shadow.js';
import { signShadowTag } from '../tag.js';
import { type ShadowWorkerSet, shadowQueue, shadowQueueFor, shadowWorkers } from './bullmq.js';
import { instrumentBullmq } from './bullmq-guard.js';

const secret = 'bullmq-secret-0123456';
const shadow = createShadow({ secret, log: () => {} });
const tag = signShadowTag({
  target: 'http://127.0.0.1:1', // a job's tag is not checked against its target
  runId: 'run-q',
  expiresAt: Math.floor(Date.now() / 1000) + 300,
  secret,
});
const ctx = { runId: 'run-q', tag };
const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
const name = `shadowtest-${randomBytes(4).toString('hex')}`;

interface Seen {
  queue: 'production' | 'shadow';
  runId: string | null;
  data: unknown;
}
const seen: Seen[] = [];
let queue: bullmq.Queue;
let workers: ShadowWorkerSet;
const done = new Map<string, () => void>();

before(() => {
  instrumentBullmq(bullmq, shadow);
  queue = new bullmq.Queue(name, { connection });
  workers = shadowWorkers(
    bullmq.Worker,
    shadow,
    name,
    async (job) => {
      await new Promise((r) => setTimeout(r, 2));
      seen.push({
        queue: job.queueQualifiedName.startsWith('shadow:') ? 'shadow' : 'production',
        runId: currentShadow()?.runId ?? null,
        data: job.data,
      });
      done.get(String((job.data as { n: number }).n))?.();
    },
    { connection, drainDelay: 1 },
  );
});

after(async () => {
  await workers.close();
  const sibling = shadowQueueFor(queue);
  await Promise.all([queue.obliterate({ force: true }), sibling.obliterate({ force: true })]);
  await Promise.all([queue.close(), sibling.close()]);
  const redis = new Redis(connection);
  assert.deepEqual(await redis.keys(`*${name}*`), []);
  await redis.quit();
});

function processed(n: number): Promise<void> {
  return new Promise((resolve) => done.set(String(n), resolve));
}

describe('BullMQ routing', () => {
  it('sends tagged jobs to the shadow queue and restores the context in the shadow worker', async () => {
    const producer = shadowQueue(queue);
    const waits = [1, 2, 3, 4].map(processed);
    await producer.add('order', { n: 1 });
    await runInShadow(ctx, () => producer.add('order', { n: 2 }));
    await runInShadow(ctx, () => producer.addBulk([{ name: 'order', data: { n: 3 } }]));
    await producer.addBulk([{ name: 'order', data: { n: 4 } }]);
    await Promise.all(waits);
    const byN = Object.fromEntries(seen.map((s) => [(s.data as { n: number }).n, s]));
    assert.deepEqual(byN[1], { queue: 'production', runId: null, data: { n: 1 } });
    assert.deepEqual(byN[2], { queue: 'shadow', runId: 'run-q', data: { n: 2 } });
    assert.deepEqual(byN[3], { queue: 'shadow', runId: 'run-q', data: { n: 3 } });
    assert.deepEqual(byN[4], { queue: 'production', runId: null, data: { n: 4 } });
  });

  it('answers queue queries from the shadow queue in a tagged context', async () => {
    const producer = shadowQueue(queue);
    const shadowCounts = await runInShadow(ctx, () => producer.getJobCounts('completed'));
    const prodCounts = await producer.getJobCounts('completed');
    assert.equal(shadowCounts.completed, 2);
    assert.equal(prodCounts.completed, 2);
  });

  it('fails a shadow job whose tag is forged instead of running it', async () => {
    const forged = signShadowTag({
      target: 'http://127.0.0.1:1', // a job's tag is not checked against its target
      runId: 'run-q',
      expiresAt: 9_999_999_999,
      secret: 'wrong-secret-000000',
    });
    const failed = new Promise<Error>((resolve) =>
      workers.shadow.once('failed', (_j, err) => resolve(err)),
    );
    await shadowQueueFor(queue).add('order', { n: 5, __loadlineShadow: forged });
    assert.equal((await failed).name, 'UntrustedShadowJobError');
    assert.equal(seen.length, 4);
    assert.equal(shadow.counters.untrusted['bad-signature'], 1);
  });
});

describe('BullMQ guard', () => {
  it('refuses a tagged add/addBulk on a raw production queue', async () => {
    await runInShadow(ctx, async () => {
      await assert.rejects(queue.add('order', { n: 6 }), ShadowLeakError);
      await assert.rejects(queue.addBulk([{ name: 'order', data: { n: 7 } }]), ShadowLeakError);
    });
    assert.equal(shadow.counters.leaks.queue, 2);
    assert.equal(await queue.count(), 0);
  });
});
