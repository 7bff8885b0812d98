import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createLatencyHistogram,
  decodeHistogram,
  encodeHistogram,
  type Histogram,
  HlogWriter,
  mergeHistograms,
  readHlog,
  recordLatencyUs,
} from './index.js';

const START_MS = 1_700_000_000_123;
const PERCENTILES = [0, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100];

function histogramOf(values: readonly number[]): Histogram {
  const h = createLatencyHistogram();
  for (const v of values) recordLatencyUs(h, v);
  return h;
}

function percentiles(h: Histogram): number[] {
  return PERCENTILES.map((p) => h.getValueAtPercentile(p));
}

interface Interval {
  values: number[];
  startMs: number;
  endMs: number;
}

const INTERVALS: Interval[] = [
  { values: [1, 0, 250, 1000, 1000, 4000], startMs: START_MS, endMs: START_MS + 1000 },
  { values: [], startMs: START_MS + 1000, endMs: START_MS + 2000 },
  {
    values: [59_999_999, 60_000_000, 90_000_000, 12_345],
    startMs: START_MS + 2000,
    endMs: START_MS + 3000,
  },
  // Odd millisecond boundaries and a short final interval.
  {
    values: Array.from({ length: 500 }, (_, i) => 100 + i * 37),
    startMs: START_MS + 3007,
    endMs: START_MS + 3512,
  },
];

function writeLog(intervals: Interval[], comment?: string): { text: string; chunks: string[] } {
  const chunks: string[] = [];
  const writer = new HlogWriter((chunk) => chunks.push(chunk));
  writer.writeHeader(START_MS, comment);
  for (const { values, startMs, endMs } of intervals) {
    writer.writeInterval(histogramOf(values), startMs, endMs);
  }
  return { text: chunks.join(''), chunks };
}

describe('HlogWriter', () => {
  const { text, chunks } = writeLog(INTERVALS, 'Loadline run\nwith a two-line comment');
  const lines = text.split('\n');

  test('writes whole lines only', () => {
    assert.ok(chunks.every((chunk) => chunk.endsWith('\n')));
    assert.equal(lines.at(-1), '', 'ends with a newline');
  });

  test('header: comment, version, StartTime, BaseTime, legend', () => {
    assert.equal(lines[0], '#Loadline run with a two-line comment');
    assert.equal(lines[1], '#[Histogram log format version 1.3]');
    assert.match(
      lines[2]!,
      /^#\[StartTime: 1700000000\.123 \(seconds since epoch\), Tue, 14 Nov 2023 22:13:20 GMT\]$/,
    );
    assert.ok(lines[2]!.startsWith('#[StartTime: '));
    assert.equal(lines[3], '#[BaseTime: 1700000000.123 (seconds since epoch)]');
    assert.equal(
      lines[4],
      '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"',
    );
    assert.ok(!text.includes('Tag='), 'no Tag= fields');
  });

  test('interval lines: relative start, length, max in ms, compressed histogram', () => {
    const data = lines.slice(5, -1);
    assert.equal(data.length, INTERVALS.length);
    const expected = [
      ['0.000', '1.000'],
      ['1.000', '1.000'],
      ['2.000', '1.000'],
      ['3.007', '0.505'],
    ];
    data.forEach((line, i) => {
      assert.match(line, /^\d+\.\d{3},\d+\.\d{3},\d+\.\d{3},HISTF[A-Za-z0-9+/]+=*$/);
      const [start, length, max, encoded] = line.split(',') as [string, string, string, string];
      assert.deepEqual([start, length], expected[i]);
      const original = histogramOf(INTERVALS[i]!.values);
      // Interval_Max: top of the max bucket, in ms (what Java's writer writes, scaled to ms).
      assert.equal(max, (original.getValueAtPercentile(100) / 1000).toFixed(3));
      const decoded = decodeHistogram(encoded);
      assert.equal(decoded.totalCount, INTERVALS[i]!.values.length);
      assert.deepEqual(percentiles(decoded), percentiles(original));
    });
    assert.equal(data[0]!.split(',')[2], '4.001'); // 4000 µs sits in the 2-µs-wide bucket [4000, 4001]
    assert.equal(data[1]!.split(',')[2], '0.000');
    assert.equal(data[2]!.split(',')[2], '60030.975');
  });

  test('without a comment the version line comes first', () => {
    const { text: plain } = writeLog([]);
    assert.ok(plain.startsWith('#[Histogram log format version 1.3]\n#[StartTime: '));
  });
});

describe('readHlog', () => {
  test('round-trips our own log: start time, interval times, counts and percentiles', () => {
    const parsed = readHlog(writeLog(INTERVALS, 'comment').text);
    assert.equal(parsed.startTimeMs, START_MS);
    assert.equal(parsed.intervals.length, INTERVALS.length);
    parsed.intervals.forEach((interval, i) => {
      const written = INTERVALS[i]!;
      assert.equal(interval.startS, (written.startMs - START_MS) / 1000);
      assert.equal(interval.lengthS, (written.endMs - written.startMs) / 1000);
      assert.equal(interval.histogram.totalCount, written.values.length, `interval ${i} count`);
      assert.deepEqual(percentiles(interval.histogram), percentiles(histogramOf(written.values)));
    });
    const total = mergeHistograms(parsed.intervals.map((interval) => interval.histogram));
    const all = histogramOf(INTERVALS.flatMap((interval) => interval.values));
    assert.equal(total.totalCount, all.totalCount);
    assert.equal(encodeHistogram(total), encodeHistogram(all));
  });

  test('an empty log has no intervals', () => {
    const parsed = readHlog(writeLog([]).text);
    assert.equal(parsed.startTimeMs, START_MS);
    assert.deepEqual(parsed.intervals, []);
  });

  test('a log without StartTime reads as epoch-based rather than NaN', () => {
    const text = writeLog(INTERVALS.slice(0, 1))
      .text.split('\n')
      .filter((line) => !line.startsWith('#[StartTime') && !line.startsWith('#[BaseTime'))
      .join('\n');
    const parsed = readHlog(text);
    assert.equal(parsed.startTimeMs, 0);
    assert.equal(parsed.intervals.length, 1);
    assert.equal(parsed.intervals[0]!.startS, 0);
    assert.equal(parsed.intervals[0]!.histogram.totalCount, 6);
  });

  test('a malformed interval line throws', () => {
    const text = `${writeLog([]).text}0.000,1.000,HISTFAAAA\n`;
    assert.throws(() => readHlog(text));
  });

  // Written by the reference Java implementation (libhdrhistogram-java 2.1.11):
  // HistogramLogWriter with outputComment, outputLogFormatVersion, outputStartTime,
  // setBaseTime + outputBaseTime (both 1700000000250 ms), outputLegend, then three
  // Histogram(1, 60_000_000, 3) intervals of 1 s holding (i + 1) * 1000 * {1..100} µs, the
  // last one plus 60_000_000. Java's HlogCheck reads it as: totalCount 301, max 60030975,
  // p50 83007, p99 294143, p99.9 60030975, counts [100, 100, 101].
  const JAVA_LOG = `#written by org.HdrHistogram.HistogramLogWriter 2.1.11
#[Histogram log format version 1.3]
#[StartTime: 1700000000.250 (seconds since epoch), Tue Nov 14 22:13:20 UTC 2023]
#[BaseTime: 1700000000.250 (seconds since epoch)]
"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
0.000,1.000,0.100,HISTFAAAAFR42pNpmSzMwMBwkwECmKE0I5gzuZ3B/gNE4Dw/01l+pqkcTE/ZmRayMH1khqLlTEzfGbGglYxM1UyVeHA2kzUQ2oJJ8mhdJmkmWSBEkOTwAafzJwY=
1.000,1.000,0.200,HISTFAAAAFR42pNpmSzMwMBwkwECmKE0I5gzuZ3B/gNEYL48019+pqkcTE/ZmRayMH1khqLlTEzfGbGglYxM1UyVeHA2kzUQ2oJJ8mhdJmkmWSBEkOTwAbTjJxY=
2.000,1.000,60.031,HISTFAAAAGl42pNpmSzMwMDwkAECmKE0I5gzuZ3B/gNEYLs6019+pn4uptesILSQhekzE9NXJij5lIlpJyPTdkYQCUFo7NWMTNFAGAkmERA735dJm0kXihEsTB6p8rJMwkyiYIhKCzMtrWICAHxTKEA=
`;

  test('reads a log written by the Java implementation', () => {
    const parsed = readHlog(JAVA_LOG);
    assert.equal(parsed.startTimeMs, 1_700_000_000_250);
    assert.deepEqual(
      parsed.intervals.map(({ startS, lengthS, histogram }) => [
        startS,
        lengthS,
        histogram.totalCount,
      ]),
      [
        [0, 1, 100],
        [1, 1, 100],
        [2, 1, 101],
      ],
    );
    parsed.intervals.forEach(({ histogram }, i) => {
      const values = Array.from({ length: 100 }, (_, v) => (v + 1) * 1000 * (i + 1));
      if (i === 2) values.push(60_000_000);
      assert.deepEqual(percentiles(histogram), percentiles(histogramOf(values)), `interval ${i}`);
    });
    const total = mergeHistograms(parsed.intervals.map(({ histogram }) => histogram));
    assert.deepEqual(
      [
        total.totalCount,
        total.maxValue,
        total.getValueAtPercentile(50),
        total.getValueAtPercentile(99),
        total.getValueAtPercentile(99.9),
      ],
      [301, 60_030_975, 83_007, 294_143, 60_030_975],
    );
  });
});
