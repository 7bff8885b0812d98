// Interop with the reference Java HdrHistogram: our interval logs and compressed histograms
// must read back identically in org.HdrHistogram (java/HlogCheck.java), and Java's encoding
// must decode identically here. Skips (never fails) when java, javac or the jar is missing.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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

const run = promisify(execFile);
const JAVA_SOURCE = fileURLToPath(new URL('../java/HlogCheck.java', import.meta.url));
const JAR_DIR = '/usr/share/java';

/** Locates java, javac and the HdrHistogram jar; a reason string when something is missing. */
function findToolchain(): { jar: string } | { missing: string } {
  for (const tool of ['java', 'javac']) {
    const probe = spawnSync(tool, ['-version'], { stdio: 'ignore' });
    if (probe.error || probe.status !== 0) return { missing: `${tool} is not installed` };
  }
  const fromEnv = process.env.HDRHISTOGRAM_JAR;
  if (fromEnv) {
    return existsSync(fromEnv)
      ? { jar: fromEnv }
      : { missing: `HDRHISTOGRAM_JAR=${fromEnv} not found` };
  }
  const names = existsSync(JAR_DIR) ? readdirSync(JAR_DIR) : [];
  const name =
    names.find((n) => n === 'HdrHistogram.jar') ??
    names.find((n) => n === 'hdrhistogram.jar') ??
    names.find((n) => /^hdrhistogram.*\.jar$/i.test(n));
  if (!name) {
    return { missing: `no HdrHistogram jar in ${JAR_DIR} (apt-get install libhdrhistogram-java)` };
  }
  return { jar: join(JAR_DIR, name) };
}

const toolchain = findToolchain();
const skipReason =
  'missing' in toolchain ? `Java interop check skipped: ${toolchain.missing}` : undefined;

interface Figures {
  mode: string;
  intervals: number;
  totalCount: number;
  minValue: number;
  maxValue: number;
  p50: number;
  p99: number;
  p999: number;
  mean: number;
  startTimeSec?: number;
  intervalCounts?: number[];
  intervalStartMs?: number[];
  intervalEndMs?: number[];
  lowestDiscernibleValue?: number;
  highestTrackableValue?: number;
  significantDigits?: number;
}

describe('interop with the Java HdrHistogram', () => {
  let workDir = '';
  let classPath = '';

  before(async () => {
    if (!('jar' in toolchain)) return;
    workDir = await mkdtemp(join(tmpdir(), 'loadline-hlog-'));
    const classDir = join(workDir, 'classes');
    // One compile for the whole file; -J flags keep javac's own JVM start-up cheap.
    await run(
      'javac',
      ['-J-XX:TieredStopAtLevel=1', '-cp', toolchain.jar, '-d', classDir, JAVA_SOURCE],
      { timeout: 120_000 },
    );
    classPath = `${toolchain.jar}${delimiter}${classDir}`;
  });

  after(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  async function java(args: string[]): Promise<string> {
    const { stdout } = await run(
      'java',
      ['-XX:TieredStopAtLevel=1', '-cp', classPath, 'HlogCheck', ...args],
      { timeout: 60_000 },
    );
    return stdout.trim();
  }
  const check = async (args: string[]): Promise<Figures> => JSON.parse(await java(args));

  function jsFigures(h: Histogram) {
    return {
      totalCount: h.totalCount,
      minValue: h.totalCount === 0 ? 0 : h.getValueAtPercentile(0),
      maxValue: h.maxValue,
      p50: h.getValueAtPercentile(50),
      p99: h.getValueAtPercentile(99),
      p999: h.getValueAtPercentile(99.9),
    };
  }
  const javaFigures = (f: Figures) => ({
    totalCount: f.totalCount,
    minValue: f.minValue,
    maxValue: f.maxValue,
    p50: f.p50,
    p99: f.p99,
    p999: f.p999,
  });

  test('Java HistogramLogReader reads our interval log', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const startMs = 1_700_000_000_123;
    const intervals: Array<{ startMs: number; endMs: number; record: (h: Histogram) => void }> = [
      {
        startMs,
        endMs: startMs + 1000,
        record: (h) => {
          recordLatencyUs(h, 1, 50);
          recordLatencyUs(h, 0); // clamped to 1 µs
          recordLatencyUs(h, -2); // clamped to 1 µs
          for (let us = 100; us <= 20_000; us += 7) recordLatencyUs(h, us);
        },
      },
      { startMs: startMs + 1000, endMs: startMs + 2000, record: () => {} }, // an empty second
      {
        startMs: startMs + 2000,
        endMs: startMs + 3000,
        record: (h) => {
          for (const us of [59_990_000, 59_999_999, 60_000_000, 120_000_000])
            recordLatencyUs(h, us);
          recordLatencyUs(h, 250_000, 10);
        },
      },
      {
        startMs: startMs + 3000,
        endMs: startMs + 3507,
        record: (h) => {
          recordLatencyUs(h, 3_333, 1_000_000);
          recordLatencyUs(h, 1);
          recordLatencyUs(h, 45_000_000, 3);
        },
      },
      {
        startMs: startMs + 3507,
        endMs: startMs + 4999,
        record: (h) => {
          for (let i = 1; i <= 5000; i++) recordLatencyUs(h, (i * 2_654_435_761) % 60_000_000);
        },
      },
    ];
    let text = '';
    const writer = new HlogWriter((chunk) => {
      text += chunk;
    });
    writer.writeHeader(startMs, 'Loadline interop check');
    const expectedCounts: number[] = [];
    for (const interval of intervals) {
      const h = createLatencyHistogram();
      interval.record(h);
      expectedCounts.push(h.totalCount);
      writer.writeInterval(h, interval.startMs, interval.endMs);
    }
    const file = join(workDir, 'run.hlog');
    await writeFile(file, text);

    const parsed = readHlog(text);
    const total = mergeHistograms(parsed.intervals.map((interval) => interval.histogram));
    const fromJava = await check([file]);

    assert.equal(fromJava.intervals, intervals.length);
    assert.equal(parsed.intervals.length, intervals.length);
    assert.equal(Math.round(fromJava.startTimeSec! * 1000), startMs);
    assert.equal(parsed.startTimeMs, startMs);
    assert.deepEqual(fromJava.intervalCounts, expectedCounts);
    assert.deepEqual(
      parsed.intervals.map((interval) => interval.histogram.totalCount),
      expectedCounts,
    );
    // Java resolves our relative timestamps against BaseTime (it truncates to whole ms).
    intervals.forEach((interval, i) => {
      assert.ok(Math.abs(fromJava.intervalStartMs![i]! - interval.startMs) <= 1, `start ${i}`);
      assert.ok(Math.abs(fromJava.intervalEndMs![i]! - interval.endMs) <= 1, `end ${i}`);
      assert.equal(parsed.intervals[i]!.startS, (interval.startMs - startMs) / 1000);
    });
    assert.deepEqual(javaFigures(fromJava), jsFigures(total));
    assert.ok(
      Math.abs(fromJava.mean - total.mean) <= 0.001,
      `mean ${fromJava.mean} vs ${total.mean}`,
    );
    // And both agree with what was recorded, not just with each other.
    assert.equal(
      fromJava.totalCount,
      expectedCounts.reduce((a, b) => a + b, 0),
    );
    assert.equal(fromJava.minValue, 1);
    assert.equal(fromJava.maxValue, 60_030_975);
    assert.equal(fromJava.p50, 3_333);
  });

  test('Java decodes our single compressed histogram', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const h = createLatencyHistogram();
    recordLatencyUs(h, 0);
    recordLatencyUs(h, 1, 20);
    for (let us = 500; us <= 2_000_000; us = Math.ceil(us * 1.01)) recordLatencyUs(h, us, 3);
    recordLatencyUs(h, 59_999_999);
    recordLatencyUs(h, 90_000_000, 2);
    const encoded = encodeHistogram(h);
    const fromJava = await check(['--base64', encoded]);
    const decoded = decodeHistogram(encoded);
    assert.deepEqual(javaFigures(fromJava), jsFigures(decoded));
    assert.equal(fromJava.totalCount, h.totalCount);
    assert.equal(fromJava.p50, h.getValueAtPercentile(50));
    assert.equal(fromJava.maxValue, h.getValueAtPercentile(100));
    assert.ok(Math.abs(fromJava.mean - h.mean) <= 0.001);
    assert.deepEqual(
      [fromJava.lowestDiscernibleValue, fromJava.highestTrackableValue, fromJava.significantDigits],
      [1, 60_000_000, 3],
    );

    const empty = await check(['--base64', encodeHistogram(createLatencyHistogram())]);
    assert.deepEqual(javaFigures(empty), {
      totalCount: 0,
      minValue: 0,
      maxValue: 0,
      p50: 0,
      p99: 0,
      p999: 0,
    });
  });

  test('a histogram encoded by Java decodes bucket for bucket here', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const values = [1, 2, 999, 2047, 2048, 2049, 4001, 65_537, 1_000_003, 59_999_999, 60_000_000];
    const encoded = await java(['--encode', ...values.map(String)]);
    const decoded = decodeHistogram(encoded);
    const local = createLatencyHistogram();
    for (const v of values) recordLatencyUs(local, v);
    assert.equal(decoded.totalCount, values.length);
    for (const p of [0, 10, 25, 50, 75, 90, 99, 100]) {
      assert.equal(decoded.getValueAtPercentile(p), local.getValueAtPercentile(p), `p${p}`);
    }
    assert.equal(encodeHistogram(decoded), encodeHistogram(local));
  });

  test('HlogCheck fails loudly on logs and histograms it cannot parse', async (t) => {
    if (skipReason) return t.skip(skipReason);
    let text = '';
    const writer = new HlogWriter((chunk) => {
      text += chunk;
    });
    writer.writeHeader(1_700_000_000_000);
    const h = createLatencyHistogram();
    recordLatencyUs(h, 1234);
    writer.writeInterval(h, 1_700_000_000_000, 1_700_000_001_000);
    writer.writeInterval(h, 1_700_000_001_000, 1_700_000_002_000);
    // Drop the Interval_Max field of the first line: Java's reader would silently stop there.
    const broken = text.replace(/^0\.000,1\.000,[\d.]+,/m, '0.000,1.000,');
    assert.notEqual(broken, text);
    const file = join(workDir, 'broken.hlog');
    await writeFile(file, broken);
    await assert.rejects(check([file]), (err: { code?: number }) => err.code !== 0);
    await assert.rejects(
      check(['--base64', 'HISTFAAAACZ4nJNp']),
      (err: { code?: number }) => err.code !== 0,
    );
    await assert.rejects(check([join(workDir, 'missing.hlog')]));
  });
});
