import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, randomUUID, sign, verify } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ControlSignal, ShardJob } from '@loadline/api';
import {
  connectRedis,
  DEFAULT_REDIS_URL,
  duplicateRedis,
  type Redis,
  redisAnswers,
} from './connection.js';
import { listAgents, writeHeartbeat } from './heartbeats.js';
import { RedisNames } from './names.js';
import { ResultsReader, sendAgentMessage } from './results.js';
import { deleteRunScript, getRunScript, putRunScript, scriptDigest } from './run-scripts.js';
import { type ScheduleFiring, ScheduleQueue, ScheduleWorker } from './schedules.js';
import { ShardQueue, ShardWorker } from './shards.js';
import { publishSignal, SignalSubscription } from './signals.js';
import type { AgentSigner, AgentVerifier, ControlSigner, ControlVerifier } from './signing.js';

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

// Keys as control and enrolled agents hold them (@loadline/access derives the real ones).
const control = generateKeyPairSync('ed25519');
const controlSigner: ControlSigner = {
  sign: (text) => sign(null, Buffer.from(text), control.privateKey).toString('base64url'),
};
const controlVerifier: ControlVerifier = {
  verify: (text, signature) =>
    verify(null, Buffer.from(text), control.publicKey, Buffer.from(signature, 'base64url')),
};
const agentKeys = new Map<string, string>();
const mac = (agentId: string, text: string) =>
  createHmac('sha256', agentKeys.get(agentId) ?? 'no key')
    .update(text)
    .digest('base64url');
const agentSigner = (agentId: string): AgentSigner => {
  if (!agentKeys.has(agentId)) agentKeys.set(agentId, randomUUID());
  return { agentId, sign: (text) => mac(agentId, text) };
};
/** Control's view: only agents it enrolled (those with a key) verify. */
const agentVerifier: AgentVerifier = {
  verify: async (agentId, text, signature) =>
    agentKeys.has(agentId) && mac(agentId, text) === signature,
};

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
    controlGraceMs: 30_000,
  };
}

describe('queue (real Redis)', { skip }, () => {
  it('delivers signals, including to a subscriber that arrives late', async () => {
    const runId = 'run_signals';
    await publishSignal(redis, names, { type: 'start', runId, startAt: 1234 }, controlSigner);
    const seen: ControlSignal[] = [];
    const replayed: boolean[] = [];
    const errors: string[] = [];
    const subscription = await SignalSubscription.open(
      redis,
      names,
      runId,
      (s, late) => {
        seen.push(s);
        replayed.push(late);
      },
      (line) => errors.push(line),
      controlVerifier,
    );
    await publishSignal(redis, names, { type: 'keepalive', runId, at: 1 }, controlSigner);
    await publishSignal(
      redis,
      names,
      { type: 'abort', runId, reason: 'stop button' },
      controlSigner,
    );
    await redis.publish(names.signals(runId), '{"type":"bogus"}');
    // An abort written straight into Redis, unsigned or signed by someone else, is ignored.
    await redis.publish(
      names.signals(runId),
      JSON.stringify({ p: JSON.stringify({ type: 'abort', runId, reason: 'forged' }), s: 'x' }),
    );
    const other = generateKeyPairSync('ed25519').privateKey;
    const forged = JSON.stringify({ type: 'abort', runId, reason: 'forged' });
    await redis.publish(
      names.signals(runId),
      JSON.stringify({
        p: forged,
        s: sign(null, Buffer.from(forged), other).toString('base64url'),
      }),
    );
    await new Promise((r) => setTimeout(r, 100));
    await subscription.close();
    assert.deepEqual(
      seen.map((s) => s.type),
      ['start', 'keepalive', 'abort'],
    );
    // The start was published before it listened: read from the last-signal key, and said so.
    assert.deepEqual(replayed, [true, false, false]);
    assert.equal(subscription.malformed, 3);
    assert.deepEqual(errors, []);
  });

  it('carries agent messages through the results stream until acked', async () => {
    const reader = new ResultsReader(redis, names, 'control-1', agentVerifier);
    await reader.ensureGroup();
    await reader.ensureGroup(); // idempotent
    for (let shard = 0; shard < 3; shard++) {
      const agentId = `a${shard}`;
      await sendAgentMessage(
        redis,
        names,
        { type: 'claimed', runId: 'r', agentId, shard },
        agentSigner(agentId),
      );
    }
    // Signed by an enrolled agent, yet no message: malformed (unsigned text is not even read).
    await redis.xadd(names.results, '*', 'm', 'not json', 'a', 'a2', 's', mac('a2', 'not json'));
    // Unsigned, from an agent nobody enrolled, and one agent speaking for another: dropped.
    const claim = (agentId: string) =>
      JSON.stringify({ type: 'claimed', runId: 'r', agentId, shard: 9 });
    await redis.xadd(names.results, '*', 'm', claim('a0'));
    await redis.xadd(names.results, '*', 'm', claim('stranger'), 'a', 'stranger', 's', 'xx');
    await redis.xadd(names.results, '*', 'm', claim('a0'), 'a', 'a1', 's', mac('a1', claim('a0')));
    const first = await reader.read(10, 100);
    assert.deepEqual(
      first.map((m) => m.message.type === 'claimed' && m.message.shard),
      [0, 1, 2],
    );
    assert.equal(reader.malformed, 1);
    assert.equal(reader.rejected, 3);
    // Not acked: a restarted reader with the same name gets them again.
    const again = await new ResultsReader(redis, names, 'control-1', agentVerifier).read(10, 100);
    assert.equal(again.length, 3);
    await reader.ack(first.map((m) => m.id));
    assert.deepEqual(await reader.read(10, 100), []);
  });

  it('lists agents with live heartbeats only, signed by an enrolled agent', async () => {
    const now = Date.now();
    const heartbeat = (agentId: string) => ({
      type: 'heartbeat' as const,
      agentId,
      host: 'h',
      pid: 1,
      version: '0.1.0',
      runId: null,
      at: now,
      eventLoopDelayP99Ms: 1,
    });
    const beat = (agentId: string) =>
      writeHeartbeat(redis, names, heartbeat(agentId), agentSigner(agentId));
    await beat('alive');
    await beat('dead');
    await redis.del(names.agent('dead')); // as if its TTL ran out
    // A heartbeat nobody enrolled signed does not make an agent.
    await redis.set(
      names.agent('ghost'),
      JSON.stringify({ p: JSON.stringify(heartbeat('ghost')), s: 'x' }),
    );
    await redis.zadd(names.agents, now, 'ghost');
    const agents = await listAgents(redis, names, agentVerifier);
    assert.deepEqual(
      agents.map((a) => a.agentId),
      ['alive'],
    );
    assert.equal(await redis.zscore(names.agents, 'dead'), null, 'expired agents are pruned');
    assert.equal(await redis.zscore(names.agents, 'ghost'), null, 'unsigned ones too');
  });

  it('hands each shard job to exactly one worker', async () => {
    const errors: string[] = [];
    const queue = new ShardQueue(redis, names, (line) => errors.push(line), controlSigner);
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
          controlVerifier,
        ),
    );
    await queue.enqueue([shardJob('run_q', 0), shardJob('run_q', 1)]);
    await queue.enqueue([shardJob('run_q', 0)]); // duplicate enqueue is ignored
    // A job written straight into Redis (BullMQ's own API, no signature) never runs.
    const { Queue } = await import('bullmq');
    const intruderConnection = duplicateRedis(redis);
    const intruder = new Queue(names.shardQueue, { connection: intruderConnection });
    await intruder.add('shard', shardJob('run_forged', 0));
    const deadline = Date.now() + 5000;
    while ((done.length < 2 || errors.length === 0) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    await Promise.all(workers.map((w) => w.close()));
    await queue.close();
    await intruder.close();
    intruderConnection.disconnect();
    assert.deepEqual(done.map((d) => d.split('@')[0]).sort(), ['run_q.0', 'run_q.1']);
    assert.equal(errors.length, 1);
    assert.match(errors[0] as string, /refused: it does not carry control's signature/);
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
      controlVerifier,
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

describe("a k6 run's script, stored once per run", { skip }, () => {
  it('is read back only when it is the one the signed job names', async () => {
    const text = JSON.stringify({ code: 'export default function () {}', map: '{}', files: {} });
    const sha256 = scriptDigest(text);
    await putRunScript(redis, names, 'run_script', text, 60);
    assert.equal(await getRunScript(redis, names, 'run_script', sha256), text);
    // Whoever can write Redis cannot make an agent run another script.
    await redis.set(names.runScript('run_script'), text.replace('{}', '{ while (1); }'));
    await assert.rejects(getRunScript(redis, names, 'run_script', sha256), /digest differs/);
    await deleteRunScript(redis, names, 'run_script');
    await assert.rejects(getRunScript(redis, names, 'run_script', sha256), /no longer in Redis/);
  });
});
