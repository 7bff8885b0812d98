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
import { ResultStore } from '@loadline/store';
import { LiveSeries } from './live-series.js';
import { addLiveRows, SecondWindow } from './live-table.js';

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
    addLiveRows(totals, window, rows.slice(from, from + 37), series);
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
  // A later window holds the later seconds only.
  assert.deepEqual(
    series.window(first + 2).points.map((p) => p.second),
    [first + 2, first + 3],
  );
});

test('keeps only the newest seconds', () => {
  const series = new LiveSeries();
  const at = (second: number) => [row(1, second, 'home', '2xx', [1000, 2000])];
  for (let second = 100; second < 120; second++)
    addLiveRows(new StepTable(), undefined, at(second), series);
  const kept = series.window(0).points.map((p) => p.second);
  assert.deepEqual(kept, [112, 113, 114, 115, 116, 117, 118, 119]);
  // a row older than what is kept is not merged into a partial second
  addLiveRows(new StepTable(), undefined, at(105), series);
  assert.equal(series.window(0).points.length, 8);
});
