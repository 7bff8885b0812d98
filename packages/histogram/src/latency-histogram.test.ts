import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { build } from 'hdr-histogram-js';
import {
  addInto,
  createLatencyHistogram,
  decodeHistogram,
  encodeHistogram,
  HIGHEST_TRACKABLE_US,
  type Histogram,
  LOWEST_TRACKABLE_US,
  mergeHistograms,
  recordLatencyUs,
  SIGNIFICANT_DIGITS,
} from './index.js';

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PERCENTILES = [
  ...Array.from({ length: 101 }, (_, i) => i),
  0.001,
  0.1,
  33.3,
  66.6,
  99.5,
  99.9,
  99.95,
  99.99,
  99.999,
];

function figures(h: Histogram) {
  return {
    totalCount: h.totalCount,
    min: h.totalCount === 0 ? 0 : h.minNonZeroValue,
    max: h.maxValue,
    mean: h.mean,
    percentiles: PERCENTILES.map((p) => h.getValueAtPercentile(p)),
  };
}

/** Independent model of the bucket layout (1 µs unit, 3 digits: 2048 sub-buckets). */
function highestEquivalentUs(value: number): number {
  if (value < 2048) return value;
  const size = 2 ** (Math.floor(Math.log2(value)) - 10);
  return Math.floor(value / size) * size + size - 1;
}
function lowestEquivalentUs(value: number): number {
  if (value < 2048) return value;
  const size = 2 ** (Math.floor(Math.log2(value)) - 10);
  return Math.floor(value / size) * size;
}

/** A mixed latency sample: mostly 100 µs–2 s log-uniform, plus both extremes and out-of-range. */
function sampleValues(n: number, seed: number): number[] {
  const rand = prng(seed);
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.01) values.push(1);
    else if (r < 0.015) values.push(0);
    else if (r < 0.02) values.push(-3);
    else if (r < 0.025) values.push(60_000_000);
    else if (r < 0.03) values.push(59_999_999);
    else if (r < 0.032) values.push(75_000_000);
    else values.push(Math.exp(Math.log(100) + rand() * (Math.log(2_000_000) - Math.log(100))));
  }
  return values;
}

function histogramOf(values: readonly number[]): Histogram {
  const h = createLatencyHistogram();
  for (const v of values) recordLatencyUs(h, v);
  return h;
}

describe('createLatencyHistogram', () => {
  test('has the shared layout and starts empty', () => {
    const h = createLatencyHistogram();
    assert.equal(LOWEST_TRACKABLE_US, 1);
    assert.equal(HIGHEST_TRACKABLE_US, 60_000_000);
    assert.equal(SIGNIFICANT_DIGITS, 3);
    assert.equal(h.highestTrackableValue, HIGHEST_TRACKABLE_US);
    assert.equal(h.numberOfSignificantValueDigits, SIGNIFICANT_DIGITS);
    assert.equal(h.autoResize, false);
    assert.equal(h.totalCount, 0);
    assert.equal(h.maxValue, 0);
  });

  test('counts are 64-bit (not 32-bit) and exact past 2^32', () => {
    const h = createLatencyHistogram();
    recordLatencyUs(h, 500, 2 ** 32 + 7);
    recordLatencyUs(h, 500, 2 ** 40);
    assert.equal(h.totalCount, 2 ** 32 + 7 + 2 ** 40);
    const decoded = decodeHistogram(encodeHistogram(h));
    assert.equal(decoded.totalCount, 2 ** 32 + 7 + 2 ** 40);
  });
});

describe('recordLatencyUs clamping', () => {
  test('values below 1 µs (0, negative, -Infinity, fractions) are counted at 1 µs', () => {
    const h = createLatencyHistogram();
    for (const v of [0, -1, -5_000_000, Number.NEGATIVE_INFINITY, 0.2, 0.49]) recordLatencyUs(h, v);
    assert.equal(h.totalCount, 6);
    assert.equal(h.minNonZeroValue, 1);
    assert.equal(h.maxValue, 1);
    assert.equal(h.getValueAtPercentile(0), 1);
    assert.equal(h.getValueAtPercentile(100), 1);
  });

  test('values above 60 s are counted at the 60 s ceiling, not lost and not thrown', () => {
    const h = createLatencyHistogram();
    for (const v of [
      60_000_001,
      90_000_000,
      1e12,
      Number.MAX_SAFE_INTEGER,
      Number.POSITIVE_INFINITY,
    ]) {
      recordLatencyUs(h, v);
    }
    recordLatencyUs(h, 1e15, 3);
    assert.equal(h.totalCount, 8);
    assert.equal(h.maxValue, HIGHEST_TRACKABLE_US);
    assert.equal(h.minNonZeroValue, HIGHEST_TRACKABLE_US);
    assert.equal(h.getValueAtPercentile(1), highestEquivalentUs(HIGHEST_TRACKABLE_US));
    assert.equal(h.getValueAtPercentile(100), 60_030_975);
  });

  test('in-range values are rounded to the nearest µs', () => {
    const h = createLatencyHistogram();
    recordLatencyUs(h, 1.5);
    recordLatencyUs(h, 1234.4);
    assert.deepEqual([h.getValueAtPercentile(0), h.getValueAtPercentile(100)], [2, 1234]);
  });

  test('a mixed set keeps every sample: totalCount equals the number recorded', () => {
    const values = sampleValues(5000, 7);
    const h = histogramOf(values);
    assert.equal(h.totalCount, values.length);
    const below = values.filter((v) => Math.round(v) <= 1).length;
    const above = values.filter((v) => v >= HIGHEST_TRACKABLE_US).length;
    assert.ok(below > 0 && above > 0, 'sample covers both extremes');
    // Everything clamped low sits in the 1 µs bucket, everything clamped high in the top one.
    assert.equal(h.getValueAtPercentile((below / values.length) * 100), 1);
    assert.equal(
      h.getValueAtPercentile(100 - (above / values.length) * 100 + 1e-9),
      highestEquivalentUs(HIGHEST_TRACKABLE_US),
    );
  });

  test('NaN throws instead of inflating totalCount with a bucketless sample', () => {
    const h = createLatencyHistogram();
    recordLatencyUs(h, 100);
    assert.throws(() => recordLatencyUs(h, Number.NaN), RangeError);
    assert.equal(h.totalCount, 1);
    assert.equal(h.getValueAtPercentile(100), 100);
  });

  test('count: >1 records that many, 0 records nothing, invalid counts throw', () => {
    const h = createLatencyHistogram();
    recordLatencyUs(h, 100, 5);
    recordLatencyUs(h, 99_000, 0);
    assert.equal(h.totalCount, 5);
    assert.equal(h.maxValue, 100, 'a zero count must not move max');
    assert.throws(() => recordLatencyUs(h, 100, -1), RangeError);
    assert.throws(() => recordLatencyUs(h, 100, 1.5), RangeError);
    assert.throws(() => recordLatencyUs(h, 100, Number.NaN), RangeError);
    assert.equal(h.totalCount, 5);
  });
});

describe('mergeHistograms', () => {
  const values = sampleValues(20_000, 42);
  const reference = histogramOf(values);
  const referenceEncoded = encodeHistogram(reference);

  test('random groupings merge to exactly the single-histogram result', () => {
    const rand = prng(1234);
    for (let trial = 0; trial < 8; trial++) {
      const groupCount = 2 + Math.floor(rand() * 60);
      const groups = Array.from({ length: groupCount }, () => createLatencyHistogram());
      for (const v of values) {
        const group = groups[Math.floor(rand() * groupCount)]!;
        recordLatencyUs(group, v);
      }
      const merged = mergeHistograms(groups);
      assert.deepEqual(
        figures(merged),
        figures(reference),
        `trial ${trial} (${groupCount} groups)`,
      );
      // Identical encodings mean identical bucket counts, not just matching percentiles.
      assert.equal(encodeHistogram(merged), referenceEncoded);
    }
  });

  test('associative and commutative: any tree of merges gives the same histogram', () => {
    const rand = prng(99);
    const groups = Array.from({ length: 17 }, () => createLatencyHistogram());
    for (const v of values) recordLatencyUs(groups[Math.floor(rand() * groups.length)]!, v);
    const [a, b, c] = groups as [Histogram, Histogram, Histogram];
    const left = mergeHistograms([mergeHistograms([a, b]), c]);
    const right = mergeHistograms([a, mergeHistograms([b, c])]);
    const swapped = mergeHistograms([c, a, b]);
    assert.deepEqual(figures(left), figures(right));
    assert.deepEqual(figures(left), figures(swapped));
    assert.equal(encodeHistogram(left), encodeHistogram(right));

    // Random binary trees over all 17 groups, through both mergeHistograms and addInto.
    for (let trial = 0; trial < 5; trial++) {
      let pool = [...groups];
      while (pool.length > 1) {
        const i = Math.floor(rand() * pool.length);
        const x = pool.splice(i, 1)[0]!;
        const j = Math.floor(rand() * pool.length);
        const y = pool.splice(j, 1)[0]!;
        let combined: Histogram;
        if (rand() < 0.5) combined = mergeHistograms([x, y]);
        else {
          combined = mergeHistograms([x]);
          addInto(combined, y);
        }
        pool = [...pool, combined];
      }
      assert.equal(encodeHistogram(pool[0]!), referenceEncoded, `tree ${trial}`);
      assert.deepEqual(figures(pool[0]!), figures(reference));
    }
  });

  test('merging does not modify its inputs; merging nothing gives an empty histogram', () => {
    const a = histogramOf(values.slice(0, 100));
    const b = histogramOf(values.slice(100, 300));
    const before = [encodeHistogram(a), encodeHistogram(b), a.totalCount, b.totalCount];
    mergeHistograms([a, b]);
    assert.deepEqual([encodeHistogram(a), encodeHistogram(b), a.totalCount, b.totalCount], before);
    const empty = mergeHistograms([]);
    assert.equal(empty.totalCount, 0);
    assert.equal(empty.highestTrackableValue, HIGHEST_TRACKABLE_US);
  });

  test('decoded histograms (as from remote agents) merge exactly with local ones', () => {
    const local = histogramOf(values.slice(0, 10_000));
    const remote = decodeHistogram(encodeHistogram(histogramOf(values.slice(10_000))));
    const merged = mergeHistograms([local, remote]);
    assert.equal(encodeHistogram(merged), referenceEncoded);
    assert.deepEqual(figures(merged).percentiles, figures(reference).percentiles);
    assert.equal(merged.totalCount, values.length);
  });
});

describe('encodeHistogram / decodeHistogram', () => {
  const cases: Array<[string, number[]]> = [
    ['empty', []],
    ['single value', [4321]],
    ['both extremes', [0, 1, 60_000_000, 90_000_000]],
    ['mixed sample', sampleValues(10_000, 5)],
    ['odd values above the unit-resolution range', [5001, 123_457, 9_999_999]],
  ];
  for (const [name, values] of cases) {
    test(`round trip preserves count, min, max and every percentile: ${name}`, () => {
      const original = histogramOf(values);
      const encoded = encodeHistogram(original);
      assert.match(encoded, /^HISTF[A-Za-z0-9+/]+=*$/, 'V2 compressed cookie, base64');
      const decoded = decodeHistogram(encoded);
      assert.equal(decoded.totalCount, original.totalCount);
      assert.equal(decoded.highestTrackableValue, HIGHEST_TRACKABLE_US);
      assert.equal(decoded.numberOfSignificantValueDigits, SIGNIFICANT_DIGITS);
      assert.deepEqual(
        PERCENTILES.map((p) => decoded.getValueAtPercentile(p)),
        PERCENTILES.map((p) => original.getValueAtPercentile(p)),
      );
      assert.equal(decoded.mean, original.mean);
      if (values.length > 0) {
        // hdr-histogram-js keeps the raw max/min when recording, but a decode can only
        // restore bucket bounds: max becomes the top of its bucket, min the bottom of its.
        assert.equal(decoded.maxValue, highestEquivalentUs(original.maxValue));
        assert.equal(decoded.maxValue, original.getValueAtPercentile(100));
        assert.equal(decoded.minNonZeroValue, lowestEquivalentUs(original.minNonZeroValue));
        assert.equal(decoded.minNonZeroValue, original.getValueAtPercentile(0));
      } else {
        assert.equal(decoded.maxValue, 0);
      }
      assert.equal(encodeHistogram(decoded), encoded, 're-encoding is stable');
    });
  }

  test('garbage input throws rather than yielding an empty histogram', () => {
    assert.throws(() => decodeHistogram('not a histogram'));
    assert.throws(() => decodeHistogram('HISTFAAAACZ4nJNp'));
  });

  test('a histogram with another layout is re-homed, clamping values above 60 s', () => {
    const foreign = build({
      bitBucketSize: 64,
      autoResize: false,
      lowestDiscernibleValue: 1,
      highestTrackableValue: 3_600_000_000,
      numberOfSignificantValueDigits: 2,
    });
    foreign.recordValueWithCount(1000, 10);
    foreign.recordValueWithCount(250_000, 5);
    foreign.recordValueWithCount(7_200_000_000 / 2, 2); // 1 h, beyond our range
    const decoded = decodeHistogram(encodeHistogram(foreign));
    assert.equal(decoded.highestTrackableValue, HIGHEST_TRACKABLE_US);
    assert.equal(decoded.numberOfSignificantValueDigits, SIGNIFICANT_DIGITS);
    assert.equal(decoded.totalCount, 17);
    assert.equal(decoded.getValueAtPercentile(50), 1000);
    assert.equal(decoded.getValueAtPercentile(100), highestEquivalentUs(HIGHEST_TRACKABLE_US));
    const merged = mergeHistograms([decoded, histogramOf([42])]);
    assert.equal(merged.totalCount, 18);
  });

  test('same range but other precision is re-homed too (not returned as-is)', () => {
    const foreign = build({
      bitBucketSize: 64,
      lowestDiscernibleValue: 1,
      highestTrackableValue: HIGHEST_TRACKABLE_US,
      numberOfSignificantValueDigits: 2,
    });
    foreign.recordValue(777);
    const decoded = decodeHistogram(encodeHistogram(foreign));
    assert.equal(decoded.numberOfSignificantValueDigits, SIGNIFICANT_DIGITS);
    assert.equal(decoded.totalCount, 1);
  });

  // Produced by the reference Java implementation (libhdrhistogram-java 2.1.11):
  //   java -cp HdrHistogram.jar:. HlogCheck --encode 1 2 3 1000 1500 2047 2048 2049 \
  //     123456 123456 59999999 60000000
  // whose --base64 mode reports: totalCount 12, min 1, max 60030975, p50 2047,
  // p99 60030975, p99.9 60030975, mean 10023734.250.
  const JAVA_ENCODED =
    'HISTFAAAADN4nJNpmSzMwMAgygABzFCaEcyZ3M5g/wEqwsTEdJyf6Sk702EOJpb+OJadfYwsAMT9CIY=';
  const JAVA_VALUES = [1, 2, 3, 1000, 1500, 2047, 2048, 2049, 123456, 123456, 59999999, 60000000];

  test('decodes a histogram encoded by the Java implementation', () => {
    const decoded = decodeHistogram(JAVA_ENCODED);
    assert.equal(decoded.totalCount, 12);
    assert.equal(decoded.minNonZeroValue, 1);
    assert.equal(decoded.maxValue, 60_030_975);
    assert.equal(decoded.getValueAtPercentile(50), 2047);
    assert.equal(decoded.getValueAtPercentile(99), 60_030_975);
    assert.equal(decoded.getValueAtPercentile(99.9), 60_030_975);
    assert.equal(decoded.mean.toFixed(3), '10023734.250');
    // Bucket for bucket the same as recording those values here.
    const local = histogramOf(JAVA_VALUES);
    assert.deepEqual(figures(decoded).percentiles, figures(local).percentiles);
    assert.equal(encodeHistogram(decoded), encodeHistogram(local));
  });
});
