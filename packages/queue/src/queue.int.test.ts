import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ControlSignal, ShardJob } from '@loadline/api';
import type { Redis } from 'ioredis';
import { connectRedis, DEFAULT_REDIS_URL, redisAnswers } from './connection.js';
import { listAgents, writeHeartbeat } from './heartbeats.js';
import { RedisNames } from './names.js';
import { ResultsReader, sendAgentMessage } from './results.js';
import { type ScheduleFiring, ScheduleQueue, ScheduleWorker } from './schedules.js';
import { ShardQueue, ShardWorker } from './shards.js';
import { publishSignal, SignalSubscription } from './signals.js';

const url = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
const available = await redisAnswers(url);
// A namespace per test run: the machine's Redis is shared with everything else.
const names = new RedisNames(`loadline-test-${randomUUID().slice(0, 8)}`);
let redis: Redis;

before(() => {
  if (available) redis = connectRedis(url);
});
after(async () => {
  if (!available) return;
  const keys = await redis.keys(`${names.namespace}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const skip = available ? false : `no Redis answers at ${url} (set REDIS_URL)`;

function shardJob(runId: string, shard: number): ShardJob {
  return {
    runId,
    shard,
    shardCount: 2,
    scenario: { name: 's' },
    model: { kind: 'closed', vus: 1, durationMs: 1000 },
    feederRows: {},
    extraHeaders: [],
    allowedHosts: ['127.0.0.0/8'],
  };
}

describe('queue (real Redis)', { skip }, () => {
  it('delivers signals, including to a subscriber that arrives late', async () => {
    const runId = 'run_signals';
    await publishSignal(redis, names, { type: 'start', runId, startAt: 1234 });
    const seen: ControlSignal[] = [];
    const errors: string[] = [];
    const subscription = await SignalSubscription.open(
      redis,
      names,
      runId,
      (s) => seen.push(s),
      (line) => errors.push(line),
    );
    await publishSignal(redis, names, { type: 'keepalive', runId, at: 1 });
    await publishSignal(redis, names, { type: 'abort', runId, reason: 'stop button' });
    await redis.publish(names.signals(runId), '{"type":"bogus"}');
    await new Promise((r) => setTimeout(r, 100));
    await subscription.close();
    assert.deepEqual(
      seen.map((s) => s.type),
      ['start', 'keepalive', 'abort'],
    );
    assert.equal(subscription.malformed, 1);
    assert.deepEqual(errors, []);
  });

  it('carries agent messages through the results stream until acked', async () => {
    const reader = new ResultsReader(redis, names, 'control-1');
    await reader.ensureGroup();
    await reader.ensureGroup(); // idempotent
    for (let shard = 0; shard < 3; shard++) {
      await sendAgentMessage(redis, names, {
        type: 'claimed',
        runId: 'r',
        agentId: `a${shard}`,
        shard,
      });
    }
    await redis.xadd(names.results, '*', 'm', 'not json');
    const first = await reader.read(10, 100);
    assert.deepEqual(
      first.map((m) => m.message.type === 'claimed' && m.message.shard),
      [0, 1, 2],
    );
    assert.equal(reader.malformed, 1);
    // Not acked: a restarted reader with the same name gets them again.
    const again = await new ResultsReader(redis, names, 'control-1').read(10, 100);
    assert.equal(again.length, 3);
    await reader.ack(first.map((m) => m.id));
    assert.deepEqual(await reader.read(10, 100), []);
  });

  it('lists agents with live heartbeats only', async () => {
    const now = Date.now();
    const beat = (agentId: string) =>
      writeHeartbeat(redis, names, {
        type: 'heartbeat',
        agentId,
        host: 'h',
        pid: 1,
        version: '0.1.0',
        runId: null,
        at: now,
        eventLoopDelayP99Ms: 1,
      });
    await beat('alive');
    await beat('dead');
    await redis.del(names.agent('dead')); // as if its TTL ran out
    const agents = await listAgents(redis, names);
    assert.deepEqual(
      agents.map((a) => a.agentId),
      ['alive'],
    );
    assert.equal(await redis.zscore(names.agents, 'dead'), null, 'expired agents are pruned');
  });

  it('hands each shard job to exactly one worker', async () => {
    const errors: string[] = [];
    const queue = new ShardQueue(redis, names, (line) => errors.push(line));
    const done: string[] = [];
    const workers = [1, 2].map(
      (w) =>
        new ShardWorker(
          redis,
          names,
          async (job) => {
            done.push(`${job.runId}.${job.shard}@${w}`);
            await new Promise((r) => setTimeout(r, 50));
          },
          (line) => errors.push(line),
        ),
    );
    await queue.enqueue([shardJob('run_q', 0), shardJob('run_q', 1)]);
    await queue.enqueue([shardJob('run_q', 0)]); // duplicate enqueue is ignored
    const deadline = Date.now() + 5000;
    while (done.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    await Promise.all(workers.map((w) => w.close()));
    await queue.close();
    assert.deepEqual(done.map((d) => d.split('@')[0]).sort(), ['run_q.0', 'run_q.1']);
    assert.deepEqual(errors, []);
  });

  it('fires a schedule timer on the schedule queue until it is removed', async () => {
    const lines: string[] = [];
    const queue = new ScheduleQueue(redis, names, (line) => lines.push(line));
    const fired: ScheduleFiring[] = [];
    const worker = new ScheduleWorker(
      redis,
      names,
      async (firing) => {
        fired.push(firing);
        throw new Error('no such scenario');
      },
      (line) => lines.push(line),
    );
    try {
      await queue.upsert({ id: 'sch_1', cron: '* * * * * *', timezone: 'UTC' });
      const [timer] = await queue.timers();
      assert.equal(timer?.id, 'sch_1');
      assert.ok((timer?.next ?? 0) - Date.now() <= 1000, `next at ${timer?.next}`);
      const deadline = Date.now() + 5000;
      while (fired.length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(fired[0], { scheduleId: 'sch_1' });
      // A firing that fails is said, with the job it was.
      while (lines.length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      assert.match(lines[0] ?? '', /^schedule job .+: no such scenario$/);
      await queue.remove('sch_1');
      assert.deepEqual(await queue.timers(), []);
    } finally {
      await worker.close();
      await queue.close();
    }
  });

  it('says what a worker cannot reach instead of dropping the error', async () => {
    const lines: string[] = [];
    const dead = connectRedis('redis://127.0.0.1:1', {
      lazyConnect: true,
      retryStrategy: () => 200,
    });
    dead.on('error', () => {});
    const worker = new ShardWorker(
      dead,
      names,
      async () => {},
      (line) => lines.push(line),
    );
    try {
      const deadline = Date.now() + 5000;
      while (lines.length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      assert.match(lines[0] ?? '', new RegExp(`^shard worker ${names.shardQueue}: .*ECONNREFUSED`));
    } finally {
      await Promise.race([worker.close(), new Promise((r) => setTimeout(r, 2000))]);
      dead.disconnect();
    }
  });
});
