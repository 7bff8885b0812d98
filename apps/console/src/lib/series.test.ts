import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LivePoint as SeriesPoint } from '@loadline/api/http';
import { alignByElapsed, columns, keyedColumns, mergeKeyedWindows, mergeWindow } from './series';

const point = (second: number, requests = 1): SeriesPoint => ({
  second,
  requests,
  errors: 0,
  p50: 1,
  p90: 2,
  p99: 3,
  max: 4,
  late: 0,
  dropped: 0,
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

describe('per-key windows', () => {
  it('keeps a target the newer point lacks', () => {
    const merged = mergeWindow([{ ...point(1), target: 50 }], [point(1, 7)], 10);
    assert.deepEqual([merged[0]?.requests, merged[0]?.target], [7, 50]);
  });

  it('merges per key and drops keys gone quiet for a whole window', () => {
    let windows = mergeKeyedWindows({}, { a: [point(1)], b: [point(1)] }, 5);
    windows = mergeKeyedWindows(windows, { a: [point(7)] }, 5);
    assert.deepEqual(Object.keys(windows), ['a']);
    assert.deepEqual(
      windows.a?.map((p) => p.second),
      [1, 7],
    );
  });

  it('aligns keys on the union of seconds with gaps, not zeros', () => {
    const { keys, data } = keyedColumns(
      { b: [point(2, 5)], a: [point(1, 3), point(2, 4)] },
      'requests',
    );
    assert.deepEqual(keys, ['a', 'b']);
    assert.deepEqual(data, [
      [1, 2],
      [3, 4],
      [null, 5],
    ]);
  });
});

describe('alignByElapsed', () => {
  it('counts each run from its own first second', () => {
    const a = [point(100, 1), point(101, 2), point(102, 3)];
    const b = [point(500, 7), point(502, 9)];
    assert.deepEqual(alignByElapsed([a, b], 'requests'), [
      [0, 1, 2],
      [1, 2, 3],
      [7, null, 9],
    ]);
  });
});
