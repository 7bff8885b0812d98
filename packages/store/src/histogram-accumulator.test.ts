import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createLatencyHistogram,
  decodeHistogram,
  encodeHistogram,
  type Histogram,
  mergeHistograms,
  percentileCurve,
  recordLatencyUs,
  summarizeLatency,
} from '@loadline/histogram';
import { HistogramAccumulator, plainOf } from './histogram-accumulator.js';
import {
  COUNTS_LENGTH,
  compressPlain,
  encodedHistogramProblem,
  valueFromIndex,
} from './v2-encoding.js';

/** Deterministic latencies (µs), spread over 0.1 ms – 20 s so many buckets are used. */
function latencies(seed: number, n: number): number[] {
  const out: number[] = [];
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.push(100 + Math.floor((x / 2147483648) ** 4 * 20_000_000));
  }
  return out;
}

function histogramOf(values: number[]): Histogram {
  const h = createLatencyHistogram();
  for (const v of values) recordLatencyUs(h, v);
  return h;
}

/** A plain V2 encoding in another layout, written by hand: one bucket `index` = count. */
function foreignPlain(digits: number, highest: number, index: number, count: number): Buffer {
  const zigzag = (n: number) => (n >= 0 ? n * 2 : -n * 2 - 1);
  const leb = (v: number) => {
    const bytes: number[] = [];
    do {
      const low = v % 128;
      v = Math.floor(v / 128);
      bytes.push(v > 0 ? low | 0x80 : low);
    } while (v > 0);
    return bytes;
  };
  const payload = Buffer.from([...leb(zigzag(-index)), ...leb(zigzag(count))]);
  const plain = Buffer.alloc(40 + payload.length);
  plain.writeInt32BE(0x1c849313, 0);
  plain.writeInt32BE(payload.length, 4);
  plain.writeInt32BE(digits, 12);
  plain.writeBigInt64BE(1n, 16);
  plain.writeBigInt64BE(BigInt(highest), 24);
  plain.writeDoubleBE(1, 32);
  payload.copy(plain, 40);
  return plain;
}

describe('shared layout', () => {
  const reference = createLatencyHistogram() as unknown as {
    countsArrayLength: number;
    valueFromIndex(index: number): number;
  };

  test('counts length and bucket values match hdr-histogram-js', () => {
    assert.equal(COUNTS_LENGTH, reference.countsArrayLength);
    for (let i = 0; i < COUNTS_LENGTH; i += 7) {
      assert.equal(valueFromIndex(i), reference.valueFromIndex(i), `index ${i}`);
    }
  });
});

describe('HistogramAccumulator', () => {
  const parts = Array.from({ length: 40 }, (_, i) => histogramOf(latencies(i + 1, 50 + i * 10)));
  const encoded = parts.map(encodeHistogram);

  test('merging encoded histograms equals merging decoded ones, bit for bit', () => {
    const acc = new HistogramAccumulator();
    for (const e of encoded) acc.addEncoded(e);
    const expected = mergeHistograms(encoded.map(decodeHistogram));
    const merged = acc.toHistogram();
    assert.equal(acc.totalCount, expected.totalCount);
    assert.equal(encodeHistogram(merged), encodeHistogram(expected));
    assert.deepEqual(summarizeLatency(merged), summarizeLatency(expected));
    const fine = Array.from({ length: 1001 }, (_, i) => i / 10);
    assert.deepEqual(percentileCurve(merged, fine), percentileCurve(expected, fine));
  });

  test('equals one histogram holding every sample', () => {
    const all = histogramOf(
      Array.from({ length: 40 }, (_, i) => latencies(i + 1, 50 + i * 10)).flat(),
    );
    const acc = new HistogramAccumulator();
    for (const e of encoded) acc.addEncoded(e);
    assert.deepEqual(summarizeLatency(acc.toHistogram()), summarizeLatency(all));
  });

  test('merging accumulators is the same as merging everything in one', () => {
    const a = new HistogramAccumulator();
    const b = new HistogramAccumulator();
    const one = new HistogramAccumulator();
    encoded.forEach((e, i) => {
      (i % 2 ? a : b).addEncoded(e);
      one.addEncoded(e);
    });
    a.addAccumulator(b);
    assert.equal(encodeHistogram(a.toHistogram()), encodeHistogram(one.toHistogram()));
  });

  test('"" adds nothing', () => {
    const acc = new HistogramAccumulator();
    acc.addEncoded('');
    assert.equal(acc.totalCount, 0);
    assert.equal(acc.toHistogram().totalCount, 0);
  });

  test('another layout is re-homed like decodeHistogram does, compressed or plain', () => {
    // 2 significant digits: index 100 is the value 100 µs
    const plain = foreignPlain(2, 3_600_000_000, 100, 5);
    const compressed = compressPlain(plain);
    assert.equal(decodeHistogram(compressed).getValueAtPercentile(50), 100);
    const acc = new HistogramAccumulator();
    acc.addEncoded(compressed);
    acc.addEncoded(plain.toString('base64'));
    acc.addEncoded(encoded[0]!);
    assert.equal(acc.totalCount, 10 + parts[0]!.totalCount);
    const expected = mergeHistograms([
      decodeHistogram(compressed),
      decodeHistogram(compressed),
      parts[0]!,
    ]);
    assert.deepEqual(summarizeLatency(acc.toHistogram()), summarizeLatency(expected));
    // with a re-homed part, the merged encoding falls back to the compressed form
    const fallback = acc.toEncoded();
    assert.equal(Buffer.from(fallback, 'base64').readInt32BE(0), 0x1c849314);
    assert.deepEqual(summarizeLatency(decodeHistogram(fallback)), summarizeLatency(expected));
  });

  test('toEncoded: plain V2 that reads back identically, here and in hdr-histogram-js', () => {
    const acc = new HistogramAccumulator();
    for (const e of encoded) acc.addEncoded(e);
    const plain = acc.toEncoded();
    assert.equal(Buffer.from(plain, 'base64').readInt32BE(0), 0x1c849313);
    const back = new HistogramAccumulator();
    back.addEncoded(plain);
    assert.equal(encodeHistogram(back.toHistogram()), encodeHistogram(acc.toHistogram()));
    const reference = decodeHistogram(compressPlain(Buffer.from(plain, 'base64')));
    assert.equal(encodeHistogram(reference), encodeHistogram(acc.toHistogram()));
    assert.equal(new HistogramAccumulator().toEncoded(), '');
  });

  test('valueAtPercentile reads the counts as hdr-histogram-js reads the histogram', () => {
    const percentiles = [
      0, 0.1, 1, 10, 25, 33.3, 50, 66.7, 90, 95, 99, 99.5, 99.9, 99.99, 100, 150,
    ];
    const cases = [
      encoded,
      encoded.slice(0, 1),
      encoded.slice(3, 7),
      [encodeHistogram(histogramOf([1, 1, 2, 3, 2047, 2048, 2049, 4095, 4096, 60_000_000]))],
      [encodeHistogram(histogramOf([5000]))],
    ];
    for (const list of cases) {
      const acc = new HistogramAccumulator();
      for (const e of list) acc.addEncoded(e);
      const reference = mergeHistograms(list.map(decodeHistogram));
      for (const p of percentiles) {
        assert.equal(acc.valueAtPercentile(p), reference.getValueAtPercentile(p), `p${p}`);
      }
      assert.deepEqual(
        acc.valuesAtPercentiles(percentiles),
        percentiles.map((p) => reference.getValueAtPercentile(p)),
      );
    }
    assert.equal(new HistogramAccumulator().valueAtPercentile(99), 0);
    // With a part in another layout it answers from the merged histogram.
    const mixed = new HistogramAccumulator();
    mixed.addEncoded(compressPlain(foreignPlain(2, 3_600_000_000, 100, 5)));
    mixed.addEncoded(encoded[0]!);
    assert.equal(mixed.valueAtPercentile(50), mixed.toHistogram().getValueAtPercentile(50));
  });

  test('reset empties it for reuse; addPlain is addEncoded without the decoding', () => {
    const acc = new HistogramAccumulator();
    for (const e of encoded) acc.addEncoded(e);
    acc.reset();
    assert.equal(acc.totalCount, 0);
    assert.equal(acc.toEncoded(), '');
    acc.addPlain(plainOf(encoded[2]!));
    const once = new HistogramAccumulator();
    once.addEncoded(encoded[2]!);
    assert.equal(acc.toEncoded(), once.toEncoded());
  });

  test('garbage is refused, not merged as zeros', () => {
    const acc = new HistogramAccumulator();
    assert.throws(() => acc.addEncoded('aGVsbG8gd29ybGQ='), RangeError);
    assert.throws(() => acc.addEncoded(encoded[0]!.slice(0, 40)));
  });
});

describe('encodedHistogramProblem', () => {
  const good = encodeHistogram(histogramOf([1000, 2000, 3000]));

  test('accepts a real encoding and the empty string', () => {
    assert.equal(encodedHistogramProblem(good), null);
    assert.equal(encodedHistogramProblem(''), null);
  });

  test('names what is wrong', () => {
    assert.match(encodedHistogramProblem('not base64!') ?? '', /not base64/);
    assert.match(encodedHistogramProblem(Buffer.alloc(30).toString('base64')) ?? '', /cookie/);
    assert.match(encodedHistogramProblem(good.slice(0, good.length - 4)) ?? '', /truncated/);
    assert.match(encodedHistogramProblem(`${good}AAAA`) ?? '', /truncated or padded/);
  });
});
