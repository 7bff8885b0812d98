// The integration suite every mode runs: embedded chdb, the server driver over chdb's
// client Connection, and a real ClickHouse server when CLICKHOUSE_URL is set.
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { IntervalRow } from '@loadline/api';
import {
  createLatencyHistogram,
  encodeHistogram,
  type Histogram,
  latencyAtPercentileMs,
  recordLatencyUs,
  summarizeLatency,
} from '@loadline/histogram';
import {
  type Counters,
  HistogramAccumulator,
  InvalidArgumentError,
  InvalidIntervalRowsError,
  MIGRATIONS_DIR,
  type ResultStore,
} from './index.js';
import { toIntervalRecord } from './rows.js';

const AGENTS = ['agent-a', 'agent-b'];
const STEPS = ['browse', "pay'); DROP TABLE intervals; --"];
const SECONDS = 150;

/** A minute-aligned start an hour ago: every minute of the data is sealed. */
const START = Math.floor(Date.now() / 60_000) * 60 - 3600;

interface Sample {
  agent: string;
  step: string;
  statusClass: '2xx' | '5xx';
  second: number;
  latenciesUs: number[];
}

/** Known latencies: 2-4 per row, 1 ms – 2 s, different for every agent, step and second. */
function samples(): Sample[] {
  const out: Sample[] = [];
  AGENTS.forEach((agent, a) => {
    STEPS.forEach((step, s) => {
      for (let i = 0; i < SECONDS; i++) {
        const n = 2 + ((a + s + i) % 3);
        const latenciesUs = Array.from(
          { length: n },
          (_, k) =>
            1000 + (((a + 1) * 2_654_435_761 + s * 40_503 + i * 7919 + k * 104_729) % 1_999_000),
        );
        const statusClass = i % 10 === 9 ? '5xx' : '2xx';
        out.push({ agent, step, statusClass, second: START + 30 + i, latenciesUs });
      }
    });
  });
  return out;
}

/**
 * Known counters of a sample: 2-4 checks per request plus 0-2 more (so they vary by agent,
 * step and second); every 5xx fails one check, and so does every fourth second's 2xx.
 */
function countsOf(s: Sample): { errors: number; checks: number; checksFailed: number } {
  const n = s.latenciesUs.length;
  const errors = s.statusClass === '5xx' ? n : 0;
  const checks = n * (2 + (s.second % 3)) + ((s.second + n) % 3);
  const checksFailed = errors + (s.statusClass === '2xx' && s.second % 4 === 0 ? 1 : 0);
  return { errors, checks, checksFailed };
}

function rowOf(runId: string, s: Sample): IntervalRow {
  const h = createLatencyHistogram();
  for (const us of s.latenciesUs) recordLatencyUs(h, us);
  return {
    runId,
    agentId: s.agent,
    step: s.step,
    statusClass: s.statusClass,
    second: s.second,
    requests: s.latenciesUs.length,
    ...countsOf(s),
    late: 0,
    dropped: 0,
    histogram: encodeHistogram(h),
  };
}

interface Reference {
  requests: number;
  errors: number;
  checks: number;
  checksFailed: number;
  histogram: Histogram;
}

/** One histogram holding every latency of the samples: what an exact merge must give. */
function reference(list: Sample[]): Reference {
  const histogram = createLatencyHistogram();
  const sums = { errors: 0, checks: 0, checksFailed: 0 };
  for (const s of list) {
    for (const us of s.latenciesUs) recordLatencyUs(histogram, us);
    const counts = countsOf(s);
    sums.errors += counts.errors;
    sums.checks += counts.checks;
    sums.checksFailed += counts.checksFailed;
  }
  return { requests: histogram.totalCount, ...sums, histogram };
}

/** The counters a read must report for the samples (none of them late or dropped). */
function countersOf(list: Sample[]): Counters {
  const { requests, errors, checks, checksFailed } = reference(list);
  return { requests, errors, checks, checksFailed, late: 0, dropped: 0 };
}

/** The counters of a read's result, without its latency (and step). */
function countersIn(totals: Counters): Counters {
  const { requests, errors, checks, checksFailed, late, dropped } = totals;
  return { requests, errors, checks, checksFailed, late, dropped };
}

export function storeSuite(mode: string, open: () => Promise<ResultStore>): void {
  describe(`ResultStore (${mode})`, () => {
    let store: ResultStore;
    const all = samples();
    const run = 'run_suite';

    before(async () => {
      store = await open();
    });
    after(async () => {
      await store?.close();
    });

    // A store that was migrated up to 003 and holds rows from before `checks` existed: raw
    // rows of one step over two minutes, the first minute rolled up by the code of then.
    const legacyRun = 'run_legacy';
    const legacy = all.filter((s) => s.step === STEPS[0] && s.second < START + 90);

    test('migrations up to 003 apply once and are recorded; rows are stored as then', async () => {
      const upTo003 = await mkdtemp(join(tmpdir(), 'loadline-migrations-003-'));
      try {
        const files = ['001_intervals.sql', '002_interval_minutes.sql', '003_interval_ingests.sql'];
        for (const file of files) await copyFile(join(MIGRATIONS_DIR, file), join(upTo003, file));
        const first = await store.migrate(upTo003);
        assert.deepEqual(first.applied, files);
        const again = await store.migrate(upTo003);
        assert.deepEqual(again, { applied: [], alreadyApplied: files });
      } finally {
        await rm(upTo003, { recursive: true, force: true });
      }
      // what insertIntervals wrote before 004: every column but checks
      const rows = legacy.map((s) => {
        const { checks: _checks, ...before004 } = toIntervalRecord(rowOf(legacyRun, s));
        return before004;
      });
      await store.driver.insertJSONEachRow('intervals', rows);
      const groups = new Map<string, { statusClass: string; minute: number; list: Sample[] }>();
      for (const s of legacy) {
        const minute = s.second - (s.second % 60);
        const key = `${s.statusClass}/${minute}`;
        const group = groups.get(key) ?? { statusClass: s.statusClass, minute, list: [] };
        group.list.push(s);
        groups.set(key, group);
      }
      const group = (g: { statusClass: string; minute: number }) => ({
        run_id: legacyRun,
        step: STEPS[0],
        status_class: g.statusClass,
        minute: g.minute,
      });
      await store.driver.insertJSONEachRow('interval_ingests', [...groups.values()].map(group));
      const [marked] = await store.driver.query<{ at: number }>(
        'SELECT max(marked_at_us) AS at FROM interval_ingests WHERE run_id = {runId:String}',
        { runId: legacyRun },
      );
      const rolledUp = [...groups.values()].filter((g) => g.minute === START);
      assert.equal(rolledUp.length, 2); // 2xx and 5xx
      await store.driver.insertJSONEachRow(
        'interval_minutes',
        rolledUp.map((g) => {
          const latency = new HistogramAccumulator();
          for (const s of g.list) latency.addEncoded(rowOf(legacyRun, s).histogram);
          const { requests, errors, checksFailed } = reference(g.list);
          return {
            ...group(g),
            source_rows: g.list.length,
            requests,
            errors,
            checks_failed: checksFailed,
            late: 0,
            dropped: 0,
            histogram: latency.toEncoded(),
            built_at_us: Number(marked?.at) + 1,
          };
        }),
      );
    });

    test('004 adds checks: rows and rollups stored before it read checks = 0', async () => {
      const upgrade = await store.migrate();
      assert.deepEqual(upgrade, {
        applied: [
          '004_checks.sql',
          '005_target_metrics.sql',
          '006_target_concurrency.sql',
          '007_target_gauges.sql',
        ],
        alreadyApplied: [
          '001_intervals.sql',
          '002_interval_minutes.sql',
          '003_interval_ingests.sql',
        ],
      });
      const again = await store.migrate();
      assert.deepEqual(again.applied, []);
      assert.equal(again.alreadyApplied.length, 7);
      const ledger = await store.driver.query<{ version: number }>(
        'SELECT version FROM schema_migrations FINAL ORDER BY version',
      );
      assert.deepEqual(
        ledger.map((r) => Number(r.version)),
        [1, 2, 3, 4, 5, 6, 7],
      );
      // the old rollups of the first minute are still valid; the second minute is built
      // now, by this code, from the old raw rows
      assert.deepEqual(await store.compact(legacyRun), { groups: 4, rebuilt: 2 });
      const old = { ...countersOf(legacy), checks: 0 };
      assert.ok(old.checksFailed > 0);
      const totals = await store.runTotals(legacyRun);
      assert.deepEqual(countersIn(totals), old);
      assert.deepEqual(totals.latency, summarizeLatency(reference(legacy).histogram));
      // raw reads (an agent filter bypasses rollups) agree
      assert.deepEqual(countersIn(await store.runTotals(legacyRun, { agents: AGENTS })), old);
      // new rows in the same minutes: rollups are rebuilt from old rows and new together
      const newer = legacy.map((s) => ({ ...s, agent: `${s.agent}-new` }));
      await store.insertIntervals(newer.map((s) => rowOf(legacyRun, s)));
      const expected = {
        ...countersOf([...legacy, ...newer]),
        checks: reference(newer).checks,
      };
      assert.deepEqual(countersIn(await store.runTotals(legacyRun)), expected);
      assert.deepEqual(await store.compact(legacyRun), { groups: 4, rebuilt: 0 });
      const [summary] = await store.stepSummaries(legacyRun);
      assert.equal(summary?.step, STEPS[0]);
      assert.deepEqual(countersIn(summary!), expected);
      const newOnly = await store.runTotals(legacyRun, {
        agents: AGENTS.map((agent) => `${agent}-new`),
      });
      assert.deepEqual(countersIn(newOnly), countersOf(newer));
    });

    test('totals and percentiles equal those of one histogram of every value', async () => {
      const { inserted } = await store.insertIntervals(all.map((s) => rowOf(run, s)));
      assert.equal(inserted, all.length);
      const expected = reference(all);
      const totals = await store.runTotals(run);
      assert.equal(totals.requests, expected.requests);
      assert.equal(totals.errors, expected.errors);
      // summed over agents, steps, seconds and status classes
      assert.ok(expected.checks > expected.checksFailed && expected.checksFailed > expected.errors);
      assert.deepEqual(countersIn(totals), countersOf(all));
      assert.deepEqual(totals.latency, summarizeLatency(expected.histogram));
      // and against the sorted values themselves, within HdrHistogram's 3 digits
      const sorted = all.flatMap((s) => s.latenciesUs).sort((x, y) => x - y);
      const p99Us = sorted[Math.ceil(sorted.length * 0.99) - 1]!;
      const p99Ms = totals.latency.p99;
      assert.ok(
        p99Ms >= p99Us / 1000 && p99Ms <= (p99Us / 1000) * 1.001,
        `${p99Ms} vs ${p99Us} µs`,
      );
      const merged = await store.mergedHistogram(run);
      assert.equal(encodeHistogram(merged), encodeHistogram(expected.histogram));
    });

    test('reads again from rollups give the same figures', async () => {
      const rollups = await store.driver.query<{ n: number }>(
        'SELECT count() AS n FROM interval_minutes FINAL WHERE run_id = {runId:String}',
        { runId: run },
      );
      // 3 minutes x 2 steps x 2 status classes, written back by the first read
      assert.equal(Number(rollups[0]?.n), 12);
      assert.deepEqual(await store.compact(run), { groups: 12, rebuilt: 0 });
      const totals = await store.runTotals(run);
      assert.deepEqual(countersIn(totals), countersOf(all));
      assert.deepEqual(totals.latency, summarizeLatency(reference(all).histogram));
      // the rollups themselves hold each minute's sums
      const stored = await store.driver.query<{ checks: number; checksFailed: number }>(
        `SELECT sum(checks) AS checks, sum(checks_failed) AS checksFailed
         FROM interval_minutes FINAL WHERE run_id = {runId:String} AND minute = toDateTime({minute:UInt32}, 'UTC')`,
        { runId: run, minute: START + 60 },
      );
      const minute = reference(all.filter((s) => s.second >= START + 60 && s.second < START + 120));
      assert.deepEqual(
        stored.map((r) => [Number(r.checks), Number(r.checksFailed)]),
        [[minute.checks, minute.checksFailed]],
      );
    });

    test('filters by step, agent, status class and window', async () => {
      const step = STEPS[1]!;
      const byStep = await store.runTotals(run, { steps: [step] });
      assert.deepEqual(
        byStep.latency,
        summarizeLatency(reference(all.filter((s) => s.step === step)).histogram),
      );
      const byAgent = await store.runTotals(run, { agents: ['agent-b'] });
      assert.deepEqual(
        byAgent.latency,
        summarizeLatency(reference(all.filter((s) => s.agent === 'agent-b')).histogram),
      );
      assert.deepEqual(countersIn(byStep), countersOf(all.filter((s) => s.step === step)));
      assert.deepEqual(countersIn(byAgent), countersOf(all.filter((s) => s.agent === 'agent-b')));
      const ok = await store.runTotals(run, { statusClasses: ['2xx'] });
      assert.equal(ok.errors, 0);
      assert.deepEqual(countersIn(ok), countersOf(all.filter((s) => s.statusClass === '2xx')));
      // [START+45, START+130): partial minute, whole minute, partial minute
      const window = { fromSecond: START + 45, toSecond: START + 130 };
      const inWindow = all.filter(
        (s) => s.second >= window.fromSecond && s.second < window.toSecond,
      );
      const windowed = await store.runTotals(run, window);
      assert.deepEqual(countersIn(windowed), countersOf(inWindow));
      assert.deepEqual(windowed.latency, summarizeLatency(reference(inWindow).histogram));
      const combined = await store.runTotals(run, {
        ...window,
        agents: ['agent-a'],
        steps: [step],
      });
      const both = inWindow.filter((s) => s.agent === 'agent-a' && s.step === step);
      assert.deepEqual(combined.latency, summarizeLatency(reference(both).histogram));
      assert.deepEqual(countersIn(combined), countersOf(both));
      assert.equal((await store.runTotals(run, { steps: [] })).requests, 0);
    });

    test('step summaries, sorted by step', async () => {
      const steps = await store.stepSummaries(run);
      assert.deepEqual(
        steps.map((s) => s.step),
        [...STEPS].sort(),
      );
      for (const summary of steps) {
        const list = all.filter((s) => s.step === summary.step);
        const expected = reference(list);
        assert.deepEqual(countersIn(summary), countersOf(list));
        assert.deepEqual(summary.latency, summarizeLatency(expected.histogram));
      }
      // across steps, they add up to the run's
      const checks = steps.reduce((sum, s) => sum + s.checks, 0);
      const checksFailed = steps.reduce((sum, s) => sum + s.checksFailed, 0);
      assert.deepEqual(
        [checks, checksFailed],
        [reference(all).checks, reference(all).checksFailed],
      );
      // and for a window of partial and whole minutes
      const window = { fromSecond: START + 45, toSecond: START + 130 };
      for (const summary of await store.stepSummaries(run, window)) {
        const list = all.filter(
          (s) =>
            s.step === summary.step && s.second >= window.fromSecond && s.second < window.toSecond,
        );
        assert.deepEqual(countersIn(summary), countersOf(list));
      }
    });

    test('time series: per second across agents, and per minute', async () => {
      const series = await store.timeSeries(run, { step: 'browse' });
      assert.equal(series.length, SECONDS);
      for (const point of [series[0]!, series[77]!, series[SECONDS - 1]!]) {
        const expected = reference(
          all.filter((s) => s.step === 'browse' && s.second === point.second),
        );
        assert.equal(point.requests, expected.requests);
        assert.equal(point.p99, latencyAtPercentileMs(expected.histogram, 99));
        assert.equal(point.max, latencyAtPercentileMs(expected.histogram, 100));
      }
      const oneAgent = await store.timeSeries(run, { agent: 'agent-a', fromSecond: START + 60 });
      assert.equal(oneAgent.length, SECONDS - 30);
      assert.equal(oneAgent[0]!.second, START + 60);
      const minutes = await store.timeSeries(run, { resolution: 'minute' });
      assert.deepEqual(
        minutes.map((p) => p.second),
        [START, START + 60, START + 120],
      );
      const second = all.filter((s) => s.second >= START + 60 && s.second < START + 120);
      assert.equal(minutes[1]!.p50, latencyAtPercentileMs(reference(second).histogram, 50));
    });

    test('time series per step and per agent equal the filtered series', async () => {
      const window = { fromSecond: START + 50, toSecond: START + 70 };
      for (const by of ['step', 'agent'] as const) {
        const series = await store.timeSeriesBy(run, by, window);
        const keys = Object.keys(series).sort();
        assert.ok(keys.length >= 2, `${by}: ${keys.join(', ')}`);
        for (const key of keys) {
          const alone = await store.timeSeries(run, {
            ...(by === 'step' ? { step: key } : { agent: key }),
            ...window,
          });
          assert.deepEqual(series[key], alone, `${by} ${key}`);
        }
      }
    });

    test('agents of a run', async () => {
      const agents = await store.agentsOf(run);
      assert.deepEqual(
        agents.map((a) => [a.agentId, a.firstSecond, a.lastSecond]),
        AGENTS.map((agent) => [agent, START + 30, START + 30 + SECONDS - 1]),
      );
      assert.equal(
        agents[0]!.requests,
        reference(all.filter((s) => s.agent === AGENTS[0])).requests,
      );
    });

    test('duplicate delivery does not double count, before or after rollups', async () => {
      const before = await store.runTotals(run);
      await store.insertIntervals(all.slice(0, 100).map((s) => rowOf(run, s)));
      await store.insertIntervals(all.slice(50, 60).map((s) => rowOf(run, s)));
      assert.deepEqual(await store.runTotals(run), before);
      // raw reads (agent filter, per second) deduplicate too
      const agentA = await store.runTotals(run, { agents: [AGENTS[0]!] });
      assert.equal(agentA.requests, reference(all.filter((s) => s.agent === AGENTS[0])).requests);
      const [first] = await store.timeSeries(run, { step: 'browse' });
      const firstSecond = all.filter((s) => s.step === 'browse' && s.second === START + 30);
      assert.equal(first?.requests, reference(firstSecond).requests);
    });

    test('a row arriving late, after its minute was rolled up, is counted', async () => {
      const before = await store.runTotals(run);
      const late: Sample = {
        agent: 'agent-c',
        step: 'browse',
        statusClass: '2xx',
        second: START + 65,
        latenciesUs: [5_000_000],
      };
      await store.insertIntervals([rowOf(run, late)]);
      const after = await store.runTotals(run);
      assert.equal(after.requests, before.requests + 1);
      assert.deepEqual(countersIn(after), countersOf([...all, late]));
      assert.equal(after.checks, before.checks + countsOf(late).checks);
      assert.deepEqual(after.latency, summarizeLatency(reference([...all, late]).histogram));
    });

    test('a live minute is read from raw rows and not written back yet', async () => {
      const liveRun = 'run_live';
      // the current minute, which has not ended: never sealed
      const now = Math.floor(Date.now() / 1000);
      const live = all.slice(0, 20).map((s, i) => ({ ...s, agent: `agent-${i}`, second: now }));
      await store.insertIntervals(live.map((s) => rowOf(liveRun, s)));
      const totals = await store.runTotals(liveRun);
      assert.deepEqual(totals.latency, summarizeLatency(reference(live).histogram));
      const written = await store.driver.query<{ n: number }>(
        'SELECT count() AS n FROM interval_minutes WHERE run_id = {runId:String}',
        { runId: liveRun },
      );
      assert.equal(Number(written[0]?.n), 0);
    });

    test('bad rows are rejected with a clear error, and nothing of the batch is stored', async () => {
      const other = 'run_bad';
      const good = rowOf(other, all[0]!);
      const bad = [
        good,
        { ...good, second: good.second + 1, requests: -3 },
        { ...good, histogram: 'nope' },
      ];
      await assert.rejects(store.insertIntervals(bad), (err: unknown) => {
        assert.ok(err instanceof InvalidIntervalRowsError);
        assert.match(err.message, /rows\[1\]\.requests: /);
        assert.match(err.message, /rows\[2\]\.histogram: not base64 of an HdrHistogram/);
        return true;
      });
      assert.equal((await store.runTotals(other)).requests, 0);
      await assert.rejects(store.runTotals("run'--"), InvalidArgumentError);
      await assert.rejects(store.runTotals(run, { fromSecond: -1 }), /filter: /);
    });

    test('deleteRun removes one run and leaves the others', async () => {
      const other = 'run_other';
      await store.insertIntervals(all.slice(0, 10).map((s) => rowOf(other, s)));
      const scraped = (runId: string) => ({
        runId,
        service: 'catalog',
        instance: '127.0.0.1:9100',
        // recent: rows older than the 90-day TTL are dropped
        second: Math.floor(Date.now() / 1000) - 60,
        intervalS: 1,
        requests: 10,
        cpuSeconds: 0.1,
        p50Ms: 2,
        p99Ms: 9,
        busySeconds: 0.04,
      });
      await store.insertTargetMetrics([
        { ...scraped(run), gauges: { db_pool: 0.5, loop_delay: 0.125 } },
        scraped(other),
      ]);
      assert.equal((await store.targetMetrics(run)).length, 1);
      assert.equal((await store.targetMetrics(run))[0]?.busySeconds, 0.04);
      assert.deepEqual((await store.targetMetrics(run))[0]?.gauges, {
        db_pool: 0.5,
        loop_delay: 0.125,
      });
      // A row without gauges reads back without them, not with an empty map.
      assert.equal((await store.targetMetrics(other))[0]?.gauges, undefined);
      await store.deleteRun(run);
      // What control scraped from the targets during the run goes with it.
      assert.deepEqual(await store.targetMetrics(run), []);
      assert.equal((await store.targetMetrics(other)).length, 1);
      assert.deepEqual(await store.agentsOf(run), []);
      const totals = await store.runTotals(run);
      assert.equal(totals.requests, 0);
      assert.equal(totals.latency.count, 0);
      assert.equal((await store.timeSeries(run)).length, 0);
      assert.equal((await store.runTotals(other)).requests, reference(all.slice(0, 10)).requests);
    });
  });
}
