// Redis Cluster, for real: three redis-server nodes started here and joined with
// `redis-cli --cluster create`. Control and two agents reach it through REDIS_CLUSTER_NODES
// (one seed node: the rest are discovered); keys used together are hash-tagged into one slot
// (BullMQ's Lua scripts, the agents' MULTI and MGET), and results go to three streams, each
// agent to its own, read by one reader each: the streams land on different nodes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectRedis, RedisNames, redisAnswers, resultStreamOf } from '@loadline/queue';
import {
  ended,
  LENIENT_SATURATION as LENIENT,
  launchScenario,
  startStack,
  type TestRedis,
  type TestStack,
  waitForRunStatus,
} from './testing.js';
import { nodeOf, redisServerMissing, startCluster, type TestCluster } from './testing-redis.js';

const skip = redisServerMissing();
const STREAMS = 3;

let cluster: TestCluster | undefined;
let stack: TestStack | undefined;
let redis: TestRedis;

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
    stack = await startStack(redis, 'loadline-redis-cluster-', {
      agents: 2,
      // as a big installation runs it: results decoded on threads, streams read side by side
      control: { resultStreams: STREAMS, ingestThreads: 2, saturation: LENIENT },
    });
  });

  after(async () => {
    // A private Cluster, killed last: nothing of it to clean up.
    await stack?.stop();
    await cluster?.processes.stop();
  });

  it('passes, every request stored, the results split over streams on different nodes', async () => {
    const { api, agents, target, served } = stack as TestStack;
    const source = `name: over-a-cluster
target: ${target}
agents: 2
load: { rate: 40, duration: 4s }
flows: [{ name: f, steps: [{ name: s, request: { path: / } }] }]
`;
    const run = await waitForRunStatus(api, await launchScenario(api, source), ended, 30_000);
    assert.equal(run.status, 'passed', run.abortReason);
    assert.equal(served.length, 160);
    assert.equal(run.summary.total.requests, served.length);
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
