// Redis Cluster, for real: three redis-server nodes started here and joined with
// `redis-cli --cluster create`. Control and two agents reach it through REDIS_CLUSTER_NODES
// (one seed node: the rest are discovered); keys used together are hash-tagged into one slot
// (BullMQ's Lua scripts, the agents' MULTI and MGET), and results go to three streams, each
// agent to its own, read by one reader each: the streams land on different nodes.
import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Agent } from '@loadline/agent';
import { saturationLimits } from '@loadline/engine';
import { connectRedis, RedisNames, redisAnswers, resultStreamOf } from '@loadline/queue';
import { Control } from './control.js';
import {
  adminFetch,
  callApi,
  ended,
  startAgents,
  startTarget,
  type TestRedis,
  testControlConfig,
  waitForRunStatus,
} from './testing.js';
import { nodeOf, redisServerMissing, startCluster, type TestCluster } from './testing-redis.js';

const skip = redisServerMissing();
/**
 * On a shared machine under load, the agent (in this process, beside control and chdb) can
 * fall behind its schedule and the run end `invalid`: that judgement has tests of its own.
 * Here Redis is what is tested, so only a generator far behind counts as saturated.
 */
const LENIENT = saturationLimits({ lateShare: 0.5, eventLoopDelayP99Ms: 1000 });
const STREAMS = 3;

let cluster: TestCluster | undefined;
let control: Control | undefined;
let authed: typeof fetch = fetch;
let agents: Agent[] = [];
let server: http.Server;
let target = '';
let served = 0;
let redis: TestRedis;

const api = (method: string, path: string, body?: unknown) =>
  callApi((control as Control).url, method, path, body, authed);

describe('Redis Cluster: a run over three nodes, results over several streams (real redis-server)', {
  skip,
}, () => {
  before(async () => {
    cluster = await startCluster();
    redis = {
      url: 'redis://127.0.0.1',
      namespace: 'loadline-cluster',
      topology: {
        kind: 'cluster',
        nodes: [{ host: '127.0.0.1', port: cluster.ports[0] as number }],
      },
    };
    // What `loadline control` and `agent` check before they start.
    assert.equal(await redisAnswers(redis.url, 1000, undefined, redis.topology), true);
    ({ server, url: target } = await startTarget((_req, res) => {
      served++;
      res.end('ok');
    }));
    control = await Control.start(
      testControlConfig(redis, 'loadline-redis-cluster-', {
        resultStreams: STREAMS,
        saturation: LENIENT,
      }),
    );
    authed = await adminFetch(control);
    agents = await startAgents(redis, control, 2);
  });

  after(async () => {
    // A private Cluster, killed last: nothing of it to clean up.
    await Promise.all(agents.map((agent) => agent.stop()));
    await control?.close();
    server?.closeAllConnections();
    server?.close();
    await cluster?.processes.stop();
  });

  it('passes, every request stored, the results split over streams on different nodes', async () => {
    const source = `name: over-a-cluster
target: ${target}
agents: 2
load: { rate: 40, duration: 4s }
flows: [{ name: f, steps: [{ name: s, request: { path: / } }] }]
`;
    assert.equal((await api('POST', '/scenarios', { source })).status, 201);
    const created = await api('POST', '/runs', { scenario: 'over-a-cluster' });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const run = await waitForRunStatus(api, created.json.id as string, ended, 30_000);
    assert.equal(run.status, 'passed', run.abortReason);
    assert.equal(served, 160);
    assert.equal(run.summary.total.requests, served);
    // Each agent pushed to the stream its id hashes to; each of those streams holds entries,
    // and they are on different nodes of the Cluster.
    const names = new RedisNames(redis.namespace, { cluster: true, resultStreams: STREAMS });
    const used = [
      ...new Set(agents.map((a) => names.resultStream(resultStreamOf(a.agentId, STREAMS)))),
    ];
    assert.ok(used.length >= 2, `the agents hash to ${used.join(', ')}: pick other ids`);
    const client = connectRedis(redis.url, { topology: redis.topology });
    try {
      for (const stream of names.resultStreamNames) {
        assert.equal((await client.xlen(stream)) > 0, used.includes(stream), stream);
        // Every stream has control's group (its reader made it), and nothing left unacked.
        const [pending] = (await client.xpending(stream, 'control')) as [number];
        assert.equal(pending, 0, stream);
      }
    } finally {
      client.disconnect();
    }
    // A Cluster node named in REDIS_CLUSTER_NODES is Loadline's own server: no run loads it.
    const seed = `http://127.0.0.1:${(cluster as TestCluster).ports[0]}`;
    const atRedis = `name: at-redis\ntarget: ${seed}\nload: { rate: 1, duration: 1s }\nflows: [{ name: f, steps: [{ name: s, request: { path: / } }] }]\n`;
    assert.equal((await api('POST', '/scenarios', { source: atRedis })).status, 201);
    const refused = await api('POST', '/runs/check', { scenario: 'at-redis' });
    assert.equal(refused.status, 422, JSON.stringify(refused.json));
    assert.match(refused.json.detail, /Loadline's own redis server/);
    // The agents' registry: heartbeats written with MULTI, read with MGET, in one slot.
    const listed = await api('GET', '/agents');
    assert.deepEqual(
      (listed.json.agents as Array<{ agentId: string }>).map((a) => a.agentId).sort(),
      ['agent-1', 'agent-2'],
    );
    const nodes = new Set(
      await Promise.all(used.map((stream) => nodeOf(cluster as TestCluster, stream))),
    );
    assert.equal(nodes.size, used.length, `streams ${used.join(', ')} on nodes ${[...nodes]}`);
  });
});
