import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReplayRequest } from './corpus.js';
import { requestMix } from './mix.js';
import { OTHER_STEP, replayShards } from './shard-sends.js';

function request(i: number, path: string, session: string): ReplayRequest {
  return {
    offsetMs: i * 100,
    method: 'GET',
    path,
    headers: [['accept', 'application/json']],
    sessionKey: session,
    source: { line: i + 1 },
  };
}

describe('replayShards', () => {
  const requests = [
    ...Array.from({ length: 6 }, (_, i) => request(i, `/api/products/${i}`, `s${i % 3}`)),
    request(6, '/api/cart', 's0'),
    request(7, '/rare/a', 's1'),
    request(8, '/rare/b', 's2'),
  ];

  it('names steps by the mix, folds its tail into other, keeps every send', () => {
    const mix = requestMix(requests, 2);
    const { steps, shards, plan } = replayShards({ requests, mix }, { speed: 2, agents: 2 });
    assert.deepEqual(steps, ['GET /api/products/{id}', 'GET /api/cart', OTHER_STEP]);
    const sends = shards.flat();
    assert.equal(sends.length, requests.length);
    assert.equal(sends.filter((s) => steps[s.step] === OTHER_STEP).length, 2);
    assert.equal(plan.durationMs, 400);
    for (const shard of shards) {
      assert.deepEqual(
        shard.map((s) => s.at),
        shard.map((s) => s.at).sort((a, b) => a - b),
        'each shard in time order',
      );
    }
    const cart = sends.find((s) => s.path === '/api/cart');
    assert.deepEqual(cart?.headers, [['accept', 'application/json']]);
    assert.equal(cart?.at, 300);
  });
});
