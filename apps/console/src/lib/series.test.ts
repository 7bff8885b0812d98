import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { columns, mergeWindow } from './series';
import type { SeriesPoint } from './types';

const point = (second: number, requests = 1): SeriesPoint => ({
  second,
  requests,
  errors: 0,
  p50: 1,
  p90: 2,
  p99: 3,
  max: 4,
});

describe('mergeWindow', () => {
  it('replaces a second seen again and keeps seconds in order', () => {
    const merged = mergeWindow([point(1), point(2, 5)], [point(3), point(2, 9)], 10);
    assert.deepEqual(
      merged.map((p) => [p.second, p.requests]),
      [
        [1, 1],
        [2, 9],
        [3, 1],
      ],
    );
  });

  it('keeps only the newest `max` seconds however long the run', () => {
    let window: SeriesPoint[] = [];
    for (let s = 0; s < 3600; s += 60) {
      const batch = Array.from({ length: 60 }, (_, i) => point(s + i));
      window = mergeWindow(window, batch, 300);
    }
    assert.equal(window.length, 300);
    assert.equal(window[0]?.second, 3300);
    assert.equal(window.at(-1)?.second, 3599);
  });

  it('gives chart columns', () => {
    assert.deepEqual(columns([point(7, 2)], ['requests', 'p99']), [[7], [2], [3]]);
  });
});
