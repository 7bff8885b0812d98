import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RedisNames, resultStreamOf } from './names.js';

/** The part of a key Redis Cluster hashes: its first non-empty {…}, else all of it. */
function hashed(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
}

describe('RedisNames', () => {
  it('keeps the names one server always had', () => {
    const names = new RedisNames('ns');
    assert.equal(names.bullPrefix, 'bull');
    assert.equal(names.agents, 'ns:agents');
    assert.equal(names.agent('a1'), 'ns:agent:a1');
    assert.equal(names.results, 'ns:results');
    assert.deepEqual(names.resultStreamNames, ['ns:results']);
  });

  it('puts keys used together in one Cluster slot, and spreads the results streams', () => {
    const names = new RedisNames('ns', { cluster: true, resultStreams: 3 });
    // BullMQ's keys are `${prefix}:${queue}:…`; MULTI and MGET span agents and heartbeats.
    const together = [
      `${names.bullPrefix}:${names.shardQueue}:wait`,
      `${names.bullPrefix}:${names.scheduleQueue}:repeat`,
      names.agents,
      names.agent('a1'),
    ];
    assert.deepEqual(new Set(together.map(hashed)), new Set(['ns']));
    assert.deepEqual(names.resultStreamNames, ['ns:results', 'ns:results:1', 'ns:results:2']);
    assert.equal(new Set(names.resultStreamNames.map(hashed)).size, 3);
  });

  it('sends each agent to one stream, always the same, and refuses no streams', () => {
    assert.equal(resultStreamOf('agent-1', 1), 0);
    const picked = Array.from({ length: 64 }, (_, i) => resultStreamOf(`agent-${i}`, 4));
    assert.deepEqual(
      picked,
      Array.from({ length: 64 }, (_, i) => resultStreamOf(`agent-${i}`, 4)),
    );
    assert.deepEqual(new Set(picked), new Set([0, 1, 2, 3]));
    assert.throws(() => new RedisNames('ns', { resultStreams: 0 }), /resultStreams/);
  });
});
