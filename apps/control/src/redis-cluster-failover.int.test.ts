// A Redis Cluster node fails: three masters with a replica each (six redis-server nodes
// started here), and the master that holds the results stream killed with SIGKILL while an
// agent sends. Its replica takes over after cluster-node-timeout (2 s); the agent's sends
// wait through it, and control's results reader reads every message sent before and after,
// once each: the Cluster client follows the new slot owner (MOVED, CLUSTERDOWN retried).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AgentMessage } from '@loadline/api';
import {
  connectRedis,
  type Redis,
  RedisNames,
  ResultsReader,
  sendAgentMessage,
} from '@loadline/queue';
import { testAgentSigning } from './testing.js';
import {
  nodeOf,
  redisServerMissing,
  replicated,
  startCluster,
  type TestCluster,
} from './testing-redis.js';

const skip = redisServerMissing();

describe('Redis Cluster: the node holding the results stream fails mid-run (real redis-server)', {
  skip,
}, () => {
  let cluster: TestCluster;
  let redis: Redis | undefined;
  before(async () => {
    cluster = await startCluster(1);
  });
  after(async () => {
    redis?.disconnect();
    await cluster?.processes.stop();
  });

  it('every message sent before and after the failover is read once', async () => {
    const names = new RedisNames('loadline-failover', { cluster: true });
    redis = connectRedis('redis://127.0.0.1', {
      topology: { kind: 'cluster', nodes: [{ host: '127.0.0.1', port: cluster.ports[0]! }] },
    });
    redis.on('error', () => {});
    const connection = redis;
    const { signer, verifier } = testAgentSigning('agent-1');
    const reader = new ResultsReader(connection, names, 'control-1', verifier);
    await reader.ensureGroup();
    const send = (shard: number) => {
      const message: AgentMessage = {
        type: 'shard-done',
        runId: 'run_failover',
        agentId: 'agent-1',
        shard,
        aborted: false,
      };
      return sendAgentMessage(connection, names, message, signer);
    };
    for (let shard = 0; shard < 20; shard++) await send(shard);
    const holder = await nodeOf(cluster, names.results);
    // Replication is asynchronous: the kill must not come before the replica has it all.
    await replicated(holder);
    await cluster.processes.kill(`node-${holder}`);
    const killedAt = Date.now();
    for (let shard = 20; shard < 40; shard++) await send(shard);
    const resumedMs = Date.now() - killedAt;

    const seen: number[] = [];
    for (let round = 0; round < 20 && seen.length < 40; round++) {
      const batch = await reader.read(100, 200);
      for (const { message } of batch) if (message.type === 'shard-done') seen.push(message.shard);
      await reader.ack(batch.map((m) => m.id));
    }
    assert.deepEqual(
      seen.sort((a, b) => a - b),
      Array.from({ length: 40 }, (_, i) => i),
    );
    assert.ok(resumedMs < 20_000, `sends resumed ${resumedMs} ms after the kill`);
    assert.notEqual(await nodeOf(cluster, names.results), holder, 'a replica took the slot over');
    console.log(`# Cluster failover: the 20 sends after the kill took ${resumedMs} ms`);
  });
});
