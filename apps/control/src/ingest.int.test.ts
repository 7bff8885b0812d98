// Ingest against real Redis and embedded chdb: a signed message whose rows cannot be
// stored (an agent's bug: a histogram that is no HdrHistogram, or whose counts do not
// inflate) must not hold up the stream, whether batches decode on the main thread or on
// ingest's threads.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AgentMessage, IntervalRow } from '@loadline/api';
import { createLatencyHistogram, encodeHistogram, recordLatencyUs } from '@loadline/histogram';
import {
  connectRedis,
  type Redis,
  RedisNames,
  ResultsReader,
  sendAgentMessage,
} from '@loadline/queue';
import { ResultStore } from '@loadline/store';
import { Ingest } from './ingest.js';
import { decodeHere, IngestThreads, type ResultsDecoder } from './ingest-threads.js';
import { skipWithoutRedis, testAgentSigning, testRedis } from './testing.js';

const redisConfig = testRedis(process.env.REDIS_URL);
const skip = await skipWithoutRedis(redisConfig);
const { signer, verifier } = testAgentSigning('agent-1');

function intervals(runId: string, second: number, histogram: string): AgentMessage {
  const row: IntervalRow = {
    runId,
    agentId: 'agent-1',
    step: 'home',
    statusClass: '2xx',
    second,
    requests: 3,
    errors: 0,
    checks: 0,
    checksFailed: 0,
    late: 0,
    dropped: 0,
    histogram,
  };
  return { type: 'intervals', runId, agentId: 'agent-1', shard: 0, rows: [row] };
}

describe('ingest (real Redis, embedded chdb)', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'loadline-ingest-'));
  let redis: Redis;
  let store: ResultStore;
  before(async () => {
    redis = connectRedis(redisConfig.url);
    store = await ResultStore.open({ path: join(dir, 'ch') });
    await store.migrate();
  });
  after(async () => {
    const keys = await redis.keys(`${redisConfig.namespace}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const decoders: Array<[string, () => ResultsDecoder]> = [
    ['on the main thread', () => decodeHere],
    ['on two ingest threads', () => new IngestThreads(2, () => {})],
  ];
  for (const [where, decoderOf] of decoders) {
    it(`drops a message whose rows the store refuses, says so, and stores the rest (${where})`, async () => {
      const runId = `run_ingest_${decoders.findIndex(([w]) => w === where)}`;
      const names = new RedisNames(redisConfig.namespace);
      const h = createLatencyHistogram();
      for (const us of [1000, 2000, 3000]) recordLatencyUs(h, us);
      const good = encodeHistogram(h);
      const second = Math.floor(Date.now() / 1000) - 5;
      await sendAgentMessage(redis, names, intervals(runId, second, good), signer);
      await sendAgentMessage(
        redis,
        names,
        intervals(runId, second + 1, 'not-an-hdr-histogram'),
        signer,
      );
      // its header right (the store would take it), its deflated counts garbage
      const garbled = Buffer.from(good, 'base64').fill(0xff, 8).toString('base64');
      await sendAgentMessage(redis, names, intervals(runId, second + 1, garbled), signer);
      await sendAgentMessage(redis, names, intervals(runId, second + 2, good), signer);

      const readerRedis = connectRedis(redisConfig.url);
      const reader = new ResultsReader(readerRedis, names, 'control-1', verifier);
      const logs: string[] = [];
      const handed: number[] = [];
      const decoder = decoderOf();
      const ingest = new Ingest(
        [reader],
        store,
        {
          onRows: (prepared) =>
            handed.push(...prepared.flatMap((p) => p.rows.map((r) => r.second))),
          onMessage: async () => {},
          log: (line) => logs.push(line),
        },
        decoder,
      );
      await ingest.start();
      try {
        const deadline = Date.now() + 10_000;
        while ((await ingest.backlog()).messages > 0 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal((await ingest.backlog()).messages, 0, 'everything acked');
      } finally {
        await ingest.stop();
        await decoder.close();
        readerRedis.disconnect();
      }
      assert.equal(ingest.invalid, 2);
      assert.deepEqual(handed, [second, second + 2]);
      assert.equal((await store.runTotals(runId)).requests, 6);
      assert.ok(
        logs.some((line) =>
          line.includes(`dropped an intervals message of agent agent-1 (run ${runId})`),
        ),
        logs.join('\n'),
      );
    });
  }
});
