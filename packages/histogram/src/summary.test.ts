import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createLatencyHistogram,
  decodeHistogram,
  encodeHistogram,
  type Histogram,
  latencyAtPercentileMs,
  mergeHistograms,
  percentileCurve,
  recordLatencyUs,
  summarizeLatency,
} from './index.js';

/** Independent model of the bucket layout (1 µs unit, 3 digits: 2048 sub-buckets). */
function highestEquivalentUs(value: number): number {
  if (value < 2048) return value;
  const size = 2 ** (Math.floor(Math.log2(value)) - 10);
  return Math.floor(value / size) * size + size - 1;
}

/** Asserts `actual` is within HdrHistogram's 3-digit precision of `expected`, never below. */
function assertWithinPrecision(actual: number, expected: number, what: string): void {
  assert.ok(
    actual >= expected && actual <= expected * 1.001,
    `${what}: ${actual} not within [${expected}, ${expected * 1.001}]`,
  );
}

/** 1, 2, ..., 10000 ms, one sample each. */
function uniformMs(): Histogram {
  const h = createLatencyHistogram();
  for (let ms = 1; ms <= 10_000; ms++) recordLatencyUs(h, ms * 1000);
  return h;
}

describe('summarizeLatency', () => {
  test('uniform 1..10000 ms: values in ms within 0.1%, never under-reported', () => {
    const s = summarizeLatency(uniformMs());
    assert.equal(s.count, 10_000);
    assert.equal(s.min, 1);
    assertWithinPrecision(s.p50, 5000, 'p50');
    assertWithinPrecision(s.p90, 9000, 'p90');
    assertWithinPrecision(s.p99, 9900, 'p99');
    assertWithinPrecision(s.p999, 9990, 'p99.9');
    assertWithinPrecision(s.max, 10_000, 'max');
    assert.ok(Math.abs(s.mean - 5000.5) <= 5000.5 * 0.001, `mean ${s.mean}`);
    // Exactly the top of the bucket holding each rank, in ms rounded to 1 µs.
    assert.deepEqual(
      [s.p50, s.p90, s.p99, s.p999, s.max],
      [5_000_000, 9_000_000, 9_900_000, 9_990_000, 10_000_000].map(
        (us) => highestEquivalentUs(us) / 1000,
      ),
    );
    assert.deepEqual([s.p50, s.p99], [5001.215, 9904.127]);
  });

  test('sub-millisecond values keep µs resolution', () => {
    const h = createLatencyHistogram();
    for (const us of [1, 250, 1234, 1999]) recordLatencyUs(h, us);
    const s = summarizeLatency(h);
    assert.equal(s.min, 0.001);
    assert.equal(s.max, 1.999);
    assert.equal(s.p50, 0.25);
    assert.equal(s.mean, (1 + 250 + 1234 + 1999) / 4 / 1000);
  });

  test('empty histogram: every field is 0', () => {
    assert.deepEqual(summarizeLatency(createLatencyHistogram()), {
      count: 0,
      min: 0,
      mean: 0,
      p50: 0,
      p90: 0,
      p99: 0,
      p999: 0,
      max: 0,
    });
    assert.equal(latencyAtPercentileMs(createLatencyHistogram(), 99), 0);
    assert.ok(percentileCurve(createLatencyHistogram()).every((point) => point.ms === 0));
  });

  test('percentiles never exceed max (clamped 60 s samples)', () => {
    const h = createLatencyHistogram();
    recordLatencyUs(h, 5000);
    recordLatencyUs(h, 90_000_000, 99);
    const s = summarizeLatency(h);
    assert.ok(s.p50 <= s.max && s.p99 <= s.max && s.p999 <= s.max, JSON.stringify(s));
    assert.equal(s.max, highestEquivalentUs(60_000_000) / 1000);
    assert.equal(s.min, 5);
  });

  test('same summary whether the histogram is local, decoded or merged', () => {
    const h = createLatencyHistogram();
    for (const us of [3001, 5003, 70_001, 123_457, 9_999_999, 59_999_999]) recordLatencyUs(h, us);
    const expected = summarizeLatency(h);
    assert.deepEqual(summarizeLatency(decodeHistogram(encodeHistogram(h))), expected);
    assert.deepEqual(summarizeLatency(mergeHistograms([h])), expected);
    assert.deepEqual(
      summarizeLatency(
        mergeHistograms([createLatencyHistogram(), decodeHistogram(encodeHistogram(h))]),
      ),
      expected,
    );
  });

  test('count is the number of samples, including clamped ones', () => {
    const h = createLatencyHistogram();
    recordLatencyUs(h, 0);
    recordLatencyUs(h, -1);
    recordLatencyUs(h, 61_000_000);
    assert.equal(summarizeLatency(h).count, 3);
    assert.equal(summarizeLatency(h).min, 0.001);
    assert.equal(summarizeLatency(h).max, 60_030.975);
  });
});

describe('latencyAtPercentileMs and percentileCurve', () => {
  test('agree with the summary and are monotonic', () => {
    const h = uniformMs();
    const s = summarizeLatency(h);
    assert.equal(latencyAtPercentileMs(h, 50), s.p50);
    assert.equal(latencyAtPercentileMs(h, 99.9), s.p999);
    assertWithinPrecision(latencyAtPercentileMs(h, 95), 9500, 'p95');
    assertWithinPrecision(latencyAtPercentileMs(h, 99.99), 9999, 'p99.99');

    const curve = percentileCurve(h);
    assert.deepEqual(
      curve.map((point) => point.percentile),
      [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100],
    );
    for (let i = 1; i < curve.length; i++) {
      assert.ok(curve[i]!.ms >= curve[i - 1]!.ms, `curve not monotonic at ${curve[i]!.percentile}`);
    }
    assert.equal(curve[0]!.ms, s.min);
    assert.equal(curve.at(-1)!.ms, s.max);
    assert.deepEqual(percentileCurve(h, [50]), [{ percentile: 50, ms: s.p50 }]);
  });
});
