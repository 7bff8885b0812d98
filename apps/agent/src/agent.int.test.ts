// Agents against real Redis, with the test playing control: enqueue shards, wait for
// claims, broadcast start, keep alive, read the results stream.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { agentKey, controlSigningKeys, deriveKey, hmacMatches, signText } from '@loadline/access';
import { type AgentMessage, type ShardJob, splitEvenly } from '@loadline/api';
import { decodeHistogram, mergeHistograms } from '@loadline/histogram';
import {
  connectRedis,
  DEFAULT_REDIS_URL,
  duplicateRedis,
  publishSignal,
  type Redis,
  RedisNames,
  ResultsReader,
  redisAnswers,
  ShardQueue,
} from '@loadline/queue';
import { Agent } from './agent.js';
import type { AgentCredentials } from './credentials.js';

const url = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
const available = await redisAnswers(url);
const skip = available ? false : `no Redis answers at ${url} (set REDIS_URL)`;

let server: http.Server;
let target = '';
let served = 0;
/** every header value the target received, to prove what never reached it */
let seen: string[] = [];
let redis: Redis;
const namespaces: RedisNames[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    served++;
    seen.push(...Object.values(req.headers).flat().map(String));
    res.statusCode = req.url === '/boom' ? 500 : 200;
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (available) redis = connectRedis(url);
});

after(async () => {
  server.closeAllConnections();
  server.close();
  if (!available) return;
  for (const names of namespaces) {
    const keys = await redis.keys(`${names.namespace}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
});

function shardJobs(
  runId: string,
  count: number,
  ratePerSecond: number,
  durationMs: number,
  hosts = ['127.0.0.0/8'],
  shape: { path?: string; guardrails?: unknown[]; controlGraceMs?: number } = {},
): ShardJob[] {
  const scenario = {
    name: 'fleet',
    target,
    environment: 'local',
    agents: count,
    shadow: false,
    load: { rate: ratePerSecond, duration: `${durationMs}ms` },
    feeders: {},
    flows: [
      {
        name: 'f',
        weight: 1,
        steps: [{ name: 'hit', request: { method: 'GET', path: shape.path ?? '/x' } }],
      },
    ],
    thresholds: {},
    guardrails: shape.guardrails ?? [],
  };
  return splitEvenly(ratePerSecond, count).map((rate, shard) => ({
    runId,
    shard,
    shardCount: count,
    scenario,
    model: {
      kind: 'open',
      startRate: rate,
      stages: [{ durationMs, target: rate }],
      maxInFlight: 1000,
    },
    feederRows: {},
    extraHeaders: [['x-loadline-shadow', runId]],
    allowedHosts: hosts,
    controlGraceMs: shape.controlGraceMs ?? 30_000,
  }));
}

// The test plays control, with keys derived from a master secret as control derives them.
const master = randomUUID();
const signing = controlSigningKeys(master);
const controlSigner = { sign: (text: string) => signText(signing.privateKey, text) };
const agentVerifier = {
  verify: async (agentId: string, text: string, signature: string) =>
    hmacMatches(agentKey(master, agentId, 'test'), text, signature),
};
const credentials = (agentId: string): AgentCredentials => ({
  agentId,
  key: agentKey(master, agentId, 'test'),
  controlKey: signing.publicKey,
  jobKey: deriveKey(master, 'agent-jobs'),
});
const startAgent = (
  names: RedisNames,
  agentId: string,
  options: { deadManMs?: number; once?: boolean } = {},
) =>
  Agent.start({
    redisUrl: url,
    namespace: names.namespace,
    credentials: credentials(agentId),
    ...options,
  });

/** Plays control for one run; returns every message the agents sent. */
async function control(
  names: RedisNames,
  jobs: ShardJob[],
  options: {
    abortAfterMs?: number;
    silentAfterMs?: number;
    /** the run started before these jobs were handed out (as for a job given out again) */
    startedBefore?: boolean;
  } = {},
): Promise<AgentMessage[]> {
  const runId = (jobs[0] as ShardJob).runId;
  if (options.startedBefore) {
    await publishSignal(
      redis,
      names,
      { type: 'start', runId, startAt: Date.now() - 5000 },
      controlSigner,
    );
  }
  const reader = new ResultsReader(redis, names, 'test-control', agentVerifier);
  await reader.ensureGroup();
  const queue = new ShardQueue(redis, names, (line) => console.error(line), controlSigner);
  await queue.enqueue(jobs);
  const messages: AgentMessage[] = [];
  const started = Date.now();
  let keepalive: NodeJS.Timeout | undefined = setInterval(() => {
    if (options.silentAfterMs !== undefined && Date.now() - started > options.silentAfterMs) {
      clearInterval(keepalive);
      keepalive = undefined;
      return;
    }
    publishSignal(redis, names, { type: 'keepalive', runId, at: Date.now() }, controlSigner).catch(
      () => {},
    );
  }, 500);
  let startSent = options.startedBefore === true;
  let abortSent = false;
  const deadline = Date.now() + 20_000;
  try {
    while (Date.now() < deadline) {
      const batch = await reader.read(100, 200);
      await reader.ack(batch.map((m) => m.id));
      messages.push(...batch.map((m) => m.message).filter((m) => m.runId === runId));
      const claimed = messages.filter((m) => m.type === 'claimed').length;
      if (!startSent && claimed === jobs.length) {
        startSent = true;
        await publishSignal(
          redis,
          names,
          { type: 'start', runId, startAt: Date.now() + 300 },
          controlSigner,
        );
      }
      if (
        startSent &&
        !abortSent &&
        options.abortAfterMs !== undefined &&
        Date.now() - started > options.abortAfterMs
      ) {
        abortSent = true;
        await publishSignal(
          redis,
          names,
          { type: 'abort', runId, reason: 'stop button' },
          controlSigner,
        );
      }
      if (messages.filter((m) => m.type === 'shard-done').length === jobs.length) break;
    }
  } finally {
    clearInterval(keepalive);
    await queue.close();
  }
  return messages;
}

describe('agents (real Redis)', { skip }, () => {
  it('two agents split a run and deliver every interval', async () => {
    const names = new RedisNames(`loadline-test-${randomUUID().slice(0, 8)}`);
    namespaces.push(names);
    const agents = await Promise.all([1, 2].map((i) => startAgent(names, `agent-${i}`)));
    served = 0;
    try {
      const messages = await control(names, shardJobs('run_fleet', 2, 200, 2000));
      const done = messages.filter((m) => m.type === 'shard-done');
      assert.equal(done.length, 2);
      assert.ok(
        done.every((m) => m.type === 'shard-done' && !m.aborted),
        JSON.stringify(done),
      );
      const rows = messages.flatMap((m) => (m.type === 'intervals' ? m.rows : []));
      const requests = rows.reduce((n, r) => n + r.requests, 0);
      assert.equal(requests, 400, 'both shards together sent the whole rate');
      assert.equal(served, 400);
      assert.deepEqual([...new Set(rows.map((r) => r.agentId))].sort(), ['agent-1', 'agent-2']);
      const merged = mergeHistograms(
        rows.filter((r) => r.histogram !== '').map((r) => decodeHistogram(r.histogram)),
      );
      assert.equal(merged.totalCount, 400, 'merged histograms hold every response');
    } finally {
      await Promise.all(agents.map((a) => a.stop()));
    }
  });

  it('with once, runs one shard and takes no other (a pod of an Indexed Job per run)', async () => {
    const names = new RedisNames(`loadline-test-${randomUUID().slice(0, 8)}`);
    namespaces.push(names);
    const agent = await startAgent(names, 'agent-once', { once: true });
    try {
      const messages = await control(names, shardJobs('run_once', 1, 50, 1000));
      assert.equal(messages.filter((m) => m.type === 'shard-done').length, 1);
      await Promise.race([
        agent.done,
        new Promise((_, reject) => setTimeout(() => reject(new Error('not done')), 5000)),
      ]);
      // A second run's shard waits for another agent: this one took its one shard.
      const queue = new ShardQueue(redis, names, (line) => console.error(line), controlSigner);
      await queue.enqueue(shardJobs('run_next', 1, 50, 1000));
      const reader = new ResultsReader(redis, names, 'test-control', agentVerifier);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const later = await reader.read(100, 200);
      assert.deepEqual(
        later.filter((m) => m.message.runId === 'run_next').map((m) => m.message.type),
        [],
      );
      await queue.close();
    } finally {
      await agent.stop();
    }
  });

  it('stops every agent within a second of an abort', async () => {
    const names = new RedisNames(`loadline-test-${randomUUID().slice(0, 8)}`);
    namespaces.push(names);
    const agents = await Promise.all([1, 2].map((i) => startAgent(names, `agent-${i}`)));
    try {
      const started = Date.now();
      const messages = await control(names, shardJobs('run_abort', 2, 100, 30_000), {
        abortAfterMs: 1500,
      });
      const took = Date.now() - started;
      const done = messages.filter((m) => m.type === 'shard-done');
      assert.equal(done.length, 2);
      assert.ok(
        done.every(
          (m) => m.type === 'shard-done' && m.aborted && /stop button/.test(m.reason ?? ''),
        ),
      );
      assert.ok(took < 4000, `run ended ${took} ms after start (abort at 1.5 s)`);
    } finally {
      await Promise.all(agents.map((a) => a.stop()));
    }
  });

  it('stops sending by itself when control goes quiet (dead-man switch)', async () => {
    const names = new RedisNames(`loadline-test-${randomUUID().slice(0, 8)}`);
    namespaces.push(names);
    const agent = await startAgent(names, 'lonely', { deadManMs: 1000 });
    try {
      const messages = await control(names, shardJobs('run_quiet', 1, 50, 30_000), {
        silentAfterMs: 1500,
      });
      const done = messages.find((m) => m.type === 'shard-done');
      assert.ok(done && done.type === 'shard-done' && done.aborted);
      assert.match(done.reason ?? '', /control signals lost/);
    } finally {
      await agent.stop();
    }
  });

  it("goes on through control's silence for its shard's grace, then stops", async () => {
    const names = new RedisNames(`loadline-test-${randomUUID().slice(0, 8)}`);
    namespaces.push(names);
    const agent = await startAgent(names, 'patient');
    try {
      served = 0;
      let silentFrom = 0;
      let servedWhenSilent = 0;
      const watcher = setInterval(() => {
        if (silentFrom === 0 && served > 0) {
          silentFrom = Date.now();
          servedWhenSilent = served;
        }
      }, 1500);
      const jobs = shardJobs('run_patient', 1, 50, 30_000, undefined, { controlGraceMs: 3000 });
      const messages = await control(names, jobs, { silentAfterMs: 1500 });
      clearInterval(watcher);
      const done = messages.find((m) => m.type === 'shard-done');
      assert.ok(done && done.type === 'shard-done' && done.aborted);
      assert.match(done.reason ?? '', /control signals lost for 3 s/);
      // It went on sending for the grace (3 s at 50/s), not a moment more.
      const duringGrace = served - servedWhenSilent;
      assert.ok(
        duringGrace >= 100 && duringGrace <= 250,
        `${duringGrace} sent while control was silent`,
      );
    } finally {
      await agent.stop();
    }
  });

  it("judges the run's guardrails on its own traffic while control is away", async () => {
    const names = new RedisNames(`loadline-test-${randomUUID().slice(0, 8)}`);
    namespaces.push(names);
    const agent = await startAgent(names, 'guarded');
    try {
      const jobs = shardJobs('run_guarded', 1, 50, 30_000, undefined, {
        path: '/boom',
        guardrails: [{ metric: 'errors', rate: '>0.5', for: '1s' }],
      });
      const messages = await control(names, jobs, { silentAfterMs: 1000 });
      const done = messages.find((m) => m.type === 'shard-done');
      assert.ok(done && done.type === 'shard-done' && done.aborted);
      assert.match(
        done.reason ?? '',
        /guardrail: errors rate>0\.5 for 1s .*judged by agent guarded while control was away/,
      );
    } finally {
      await agent.stop();
    }
  });

  it('runs no shard job that control did not sign (a job written straight into Redis)', async () => {
    const names = new RedisNames(`loadline-test-${randomUUID().slice(0, 8)}`);
    namespaces.push(names);
    const lines: string[] = [];
    const agent = await Agent.start({
      redisUrl: url,
      namespace: names.namespace,
      credentials: credentials('wary'),
      log: (line) => lines.push(line),
    });
    served = 0;
    const connection = duplicateRedis(redis);
    const { Queue } = await import('bullmq');
    const intruder = new Queue(names.shardQueue, { connection });
    try {
      const [job] = shardJobs('run_injected', 1, 50, 1000) as [ShardJob];
      // As it is, unsigned; and sealed with a signature of someone else's key.
      await intruder.add('shard', job);
      const other = controlSigningKeys(randomUUID());
      const text = JSON.stringify({ ...job, runId: 'run_injected_2' });
      await intruder.add('shard', { p: text, s: signText(other.privateKey, text) });
      const deadline = Date.now() + 5000;
      while (lines.filter((l) => /refused/.test(l)).length < 2 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      assert.equal(lines.filter((l) => /does not carry control's signature/.test(l)).length, 2);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(served, 0, 'nothing reached the target');
      assert.equal(agent.currentRun, null);
    } finally {
      await intruder.close();
      connection.disconnect();
      await agent.stop();
    }
  });

  it('never runs a shard of a run that started before it was claimed: no shard runs twice', async () => {
    const names = new RedisNames(`loadline-test-${randomUUID().slice(0, 8)}`);
    namespaces.push(names);
    const agent = await startAgent(names, 'late');
    served = 0;
    try {
      const messages = await control(names, shardJobs('run_late', 1, 50, 1000), {
        startedBefore: true,
      });
      assert.deepEqual(
        messages.filter((m) => m.type === 'claimed'),
        [],
        'it does not claim the shard',
      );
      const done = messages.find((m) => m.type === 'shard-done');
      assert.ok(done && done.type === 'shard-done' && done.aborted);
      assert.match(done.reason ?? '', /started before this shard was claimed/);
      assert.equal(served, 0);
    } finally {
      await agent.stop();
    }
  });

  it("refuses a target outside the run's allowed hosts and sends nothing", async () => {
    const names = new RedisNames(`loadline-test-${randomUUID().slice(0, 8)}`);
    namespaces.push(names);
    const agent = await startAgent(names, 'careful');
    served = 0;
    try {
      const messages = await control(names, shardJobs('run_refused', 1, 50, 1000, ['10.0.0.0/8']));
      const done = messages.find((m) => m.type === 'shard-done');
      assert.ok(done && done.type === 'shard-done' && done.aborted);
      assert.match(done.reason ?? '', /not in the run's allowed hosts/);
      assert.equal(served, 0);
    } finally {
      await agent.stop();
    }
  });

  it("refuses a target whose port the run's allowed hosts do not name", async () => {
    const names = new RedisNames(`loadline-test-${randomUUID().slice(0, 8)}`);
    namespaces.push(names);
    const agent = await startAgent(names, 'ports');
    served = 0;
    const port = Number(new URL(target).port);
    const other = port === 65535 ? '1-1023' : `${port + 1}-65535`;
    try {
      const messages = await control(
        names,
        shardJobs('run_port', 1, 50, 1000, [`127.0.0.1:${other}`, `[::1]:${port}`]),
      );
      const done = messages.find((m) => m.type === 'shard-done');
      assert.ok(done && done.type === 'shard-done' && done.aborted);
      assert.match(done.reason ?? '', /not in the run's allowed hosts/);
      assert.equal(served, 0);
    } finally {
      await agent.stop();
    }
  });

  it('reads no file of its own machine: a feeder without rows in the job refuses the shard', async () => {
    const names = new RedisNames(`loadline-test-${randomUUID().slice(0, 8)}`);
    namespaces.push(names);
    // A file on the agent's machine a forged job names, absolute and relative to its cwd.
    const secret = join(mkdtempSync(join(tmpdir(), 'loadline-agent-')), 'secret.csv');
    writeFileSync(secret, 'token\nagent-secret-42\n');
    const agent = await startAgent(names, 'dry');
    served = 0;
    seen = [];
    try {
      for (const file of [secret, 'package.json']) {
        const [job] = shardJobs(`run_files_${file.length}`, 1, 50, 1000) as [ShardJob];
        job.scenario = {
          ...job.scenario,
          feeders: { users: { file, order: 'sequential' } },
          flows: [
            {
              name: 'f',
              weight: 1,
              steps: [
                {
                  name: 'hit',
                  request: { method: 'GET', path: '/x', headers: { 'x-token': '${users.token}' } },
                },
              ],
            },
          ],
        };
        const messages = await control(names, [job]);
        const done = messages.find((m) => m.type === 'shard-done');
        assert.ok(done && done.type === 'shard-done' && done.aborted, file);
        assert.match(done.reason ?? '', /feeders\.users: no rows were given for it/, file);
        assert.equal(
          messages.some((m) => m.type === 'claimed'),
          false,
          'refused before it claimed',
        );
      }
      assert.equal(served, 0);
      assert.equal(
        seen.some((value) => value.includes('agent-secret-42')),
        false,
      );
    } finally {
      await agent.stop();
    }
  });
});
