// The live series against ClickHouse: the figures a live view's updates take from memory
// must be the ones the stored rows give (embedded chdb, the same rows).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { IntervalRow } from '@loadline/api';
import { StepTable } from '@loadline/engine';
import { createLatencyHistogram, encodeHistogram, recordLatencyUs } from '@loadline/histogram';
import { ResultStore, type TimeSeriesPoint } from '@loadline/store';
import { LIVE_HISTORY_S, LIVE_OPEN_S, LiveSeries } from './live-series.js';
import { addUnpreparedRows, SecondWindow } from './live-table.js';

const dir = mkdtempSync(join(tmpdir(), 'loadline-live-series-'));
let store: ResultStore;
before(async () => {
  store = await ResultStore.open({ path: join(dir, 'ch') });
  await store.migrate();
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Deterministic latencies (µs) with a long tail. */
function latencies(seed: number, n: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return 200 + Math.floor((x / 2147483648) ** 3 * 900_000);
  });
}

function row(
  agent: number,
  second: number,
  step: string,
  statusClass: IntervalRow['statusClass'],
  samples: number[],
): IntervalRow {
  const h = createLatencyHistogram();
  for (const v of samples) recordLatencyUs(h, v);
  return {
    runId: 'run_live_series',
    agentId: `agent-${agent}`,
    step,
    statusClass,
    second,
    requests: samples.length,
    errors: statusClass === '5xx' ? samples.length : 0,
    checks: 0,
    checksFailed: 0,
    late: 0,
    dropped: 0,
    histogram: samples.length === 0 ? '' : encodeHistogram(h),
  };
}

test('a live series gives the figures of timeSeries and timeSeriesBy over the same rows', async () => {
  const first = Math.floor(Date.now() / 1000) - 20;
  const rows: IntervalRow[] = [];
  for (let agent = 0; agent < 12; agent++) {
    for (let s = 0; s < 4; s++) {
      const second = first + s;
      for (const step of ['home', 'search', 'buy']) {
        const seed = agent * 1000 + s * 10 + step.length;
        rows.push(row(agent, second, step, '2xx', latencies(seed, 40 + agent)));
        if ((agent + s) % 3 === 0)
          rows.push(row(agent, second, step, '5xx', latencies(seed + 1, 3)));
      }
      // a shard's late and dropped sends: no step, no histogram
      rows.push({ ...row(agent, second, '', 'none', []), late: agent, dropped: s });
    }
  }
  await store.insertIntervals(rows);

  // Fed as ingest hands them over: batches that cut through agents' seconds, so one
  // agent's second arrives in two parts and is merged with what it had.
  const series = new LiveSeries();
  const totals = new StepTable();
  const window = new SecondWindow();
  for (let from = 0; from < rows.length; from += 37) {
    addUnpreparedRows(totals, window, rows.slice(from, from + 37), series);
  }
  const live = series.window(first);
  assert.deepEqual(live.points, await store.timeSeries('run_live_series', { fromSecond: first }));
  assert.deepEqual(
    live.steps,
    await store.timeSeriesBy('run_live_series', 'step', { fromSecond: first }),
  );
  assert.deepEqual(
    live.agents,
    await store.timeSeriesBy('run_live_series', 'agent', { fromSecond: first }),
  );
  assert.equal(live.points.length, 4);
  assert.equal(Object.keys(live.agents).length, 12);
  // Closed (a row far newer came), the same seconds keep the same figures.
  addUnpreparedRows(totals, window, [row(0, first + 40, 'home', '2xx', [1000])], series);
  const closed = series.window(first);
  const upTo = (points: TimeSeriesPoint[]) => points.filter((p) => p.second < first + 4);
  assert.deepEqual(upTo(closed.points), live.points);
  for (const [key, points] of Object.entries(closed.steps)) {
    assert.deepEqual(upTo(points), live.steps[key]);
  }
  for (const [key, points] of Object.entries(closed.agents)) {
    assert.deepEqual(upTo(points), live.agents[key]);
  }
  // A later window holds the later seconds only.
  assert.deepEqual(
    series.window(first + 2).points.map((p) => p.second),
    [first + 2, first + 3, first + 40],
  );
});

test('keeps the newest seconds open to rows, older ones as figures for the history', () => {
  const series = new LiveSeries();
  const at = (second: number, ms: number[]) => [row(1, second, 'home', '2xx', ms)];
  const add = (second: number, ms = [1000, 2000]) =>
    addUnpreparedRows(new StepTable(), undefined, at(second, ms), series);
  for (let second = 100; second < 120; second++) add(second);
  const kept = series.window(0).points;
  assert.deepEqual(
    kept.map((p) => p.second),
    Array.from({ length: 20 }, (_, i) => 100 + i),
  );
  // Open (the newest LIVE_OPEN_S): a late row merges; closed: it is left to ClickHouse.
  add(119 - LIVE_OPEN_S + 1, [3000]);
  add(119 - LIVE_OPEN_S, [3000]);
  const after = new Map(series.window(0).points.map((p) => [p.second, p]));
  assert.equal(after.get(119 - LIVE_OPEN_S + 1)?.requests, 3);
  assert.equal(after.get(119 - LIVE_OPEN_S + 1)?.max, 3.001);
  assert.equal(after.get(119 - LIVE_OPEN_S)?.requests, 2);
  // The history ends LIVE_HISTORY_S seconds behind the newest.
  add(100 + LIVE_HISTORY_S + 5);
  const seconds = series.window(0).points.map((p) => p.second);
  assert.equal(seconds[0], 106);
  assert.equal(seconds.at(-1), 100 + LIVE_HISTORY_S + 5);
});
