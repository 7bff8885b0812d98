import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClockFilter } from './clock.js';

describe('ClockFilter', () => {
  it('keeps the reading with the shortest round trip of the last minute', () => {
    const filter = new ClockFilter(60_000);
    assert.deepEqual(filter.add({ offsetMs: 12, rttMs: 4 }, 0), { offsetMs: 12, rttMs: 4 });
    // A slow reading (a loaded machine) does not move the estimate…
    assert.deepEqual(filter.add({ offsetMs: 80, rttMs: 150 }, 10_000), { offsetMs: 12, rttMs: 4 });
    // …a better one does…
    assert.deepEqual(filter.add({ offsetMs: 10, rttMs: 1 }, 20_000), { offsetMs: 10, rttMs: 1 });
    // …and a clock that was stepped is followed once the old readings are a minute old.
    assert.deepEqual(filter.add({ offsetMs: 500, rttMs: 2 }, 81_000), { offsetMs: 500, rttMs: 2 });
  });
});
