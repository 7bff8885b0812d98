import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketIncrease, bucketQuantile, mergeBuckets } from './buckets.js';

const INF = Number.POSITIVE_INFINITY;
/** Cumulative buckets from per-bucket counts at 10 ms, 100 ms, 1 s and +Inf. */
const histogram = (fast: number, medium: number, slow = 0) =>
  new Map([
    [0.01, fast],
    [0.1, fast + medium],
    [1, fast + medium + slow],
    [INF, fast + medium + slow],
  ]);

describe('Prometheus histogram buckets', () => {
  it('takes the increase between two readings bound by bound, never below zero', () => {
    const before = new Map([
      [0.01, 5],
      [0.1, 8],
      [INF, 9],
    ]);
    const after = new Map([
      [0.01, 7],
      [0.1, 6], // a restarted exporter: counters reset
      [INF, 19],
    ]);
    assert.deepEqual(
      [...bucketIncrease(before, after)],
      [
        [0.01, 2],
        [0.1, 0],
        [INF, 10],
      ],
    );
  });

  it('sums histograms with the same bounds', () => {
    const merged = mergeBuckets([histogram(10, 0), histogram(0, 30), histogram(1, 2, 3)]);
    assert.deepEqual(
      [...merged],
      [
        [0.01, 11],
        [0.1, 43],
        [1, 46],
        [INF, 46],
      ],
    );
  });

  it('merges histograms whose bounds differ without inventing counts', () => {
    const coarse = new Map([
      [0.1, 4],
      [INF, 4],
    ]);
    const fine = new Map([
      [0.01, 1],
      [0.05, 2],
      [INF, 3],
    ]);
    assert.deepEqual(
      [...mergeBuckets([coarse, fine])],
      [
        [0.01, 1],
        [0.05, 2],
        [0.1, 6],
        [INF, 7],
      ],
    );
    assert.equal(mergeBuckets([]).size, 0);
    assert.equal(bucketQuantile(mergeBuckets([]), 0.99), null);
  });

  it('a busy slow second counts by its requests, not as one second among many', () => {
    // 200 quiet seconds of 10 fast requests, one busy second of 10 000 with 5% at ~500 ms.
    const seconds = [
      ...Array.from({ length: 200 }, () => histogram(10, 0)),
      histogram(9500, 0, 500),
    ];
    const p99s = seconds.map((h) => bucketQuantile(h, 0.99) as number).sort((a, b) => a - b);
    const percentileOfPercentiles = p99s[Math.floor(0.99 * p99s.length)] as number;
    assert.ok(percentileOfPercentiles <= 0.01, 'the per-second view sees nothing slow');
    const p99 = bucketQuantile(mergeBuckets(seconds), 0.99) as number;
    // 12 000 requests, 500 of them between 100 ms and 1 s: the p99 is in that bucket.
    assert.ok(p99 > 0.1 && p99 <= 1, `merged p99 ${p99}`);
  });
});
