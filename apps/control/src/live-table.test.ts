import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IntervalRow } from '@loadline/api';
import { StepTable } from '@loadline/engine';
import {
  createLatencyHistogram,
  decodeHistogram,
  encodeHistogram,
  recordLatencyUs,
} from '@loadline/histogram';
import { addUnpreparedRows, SecondWindow } from './live-table.js';

function row(agent: number, second: number, step: string, latenciesUs: number[]): IntervalRow {
  const h = createLatencyHistogram();
  for (const v of latenciesUs) recordLatencyUs(h, v);
  return {
    runId: 'r',
    agentId: `a${agent}`,
    step,
    statusClass: '2xx',
    second,
    requests: latenciesUs.length,
    errors: 0,
    checks: 1,
    checksFailed: 0,
    late: agent,
    dropped: 0,
    histogram: encodeHistogram(h),
  };
}

const rows = [1, 2, 3].flatMap((agent) =>
  [100, 101].flatMap((second) =>
    ['home', 'buy'].map((step) =>
      row(agent, second, step, [agent * 1000, second * 37, 20_000 + agent * step.length]),
    ),
  ),
);

/** The table rows fold into the way control folded them before: decode, then add. */
function reference(selected: readonly IntervalRow[]): StepTable {
  const table = new StepTable();
  for (const r of selected) {
    table.counters.late += r.late;
    const cell = table.cell(r.step, r.statusClass);
    cell.requests += r.requests;
    cell.checks += r.checks;
    cell.histogram.add(decodeHistogram(r.histogram));
  }
  return table;
}

function same(actual: StepTable, expected: StepTable): void {
  assert.deepEqual(actual.counters, expected.counters);
  for (const step of ['home', 'buy']) {
    const a = actual.cell(step, '2xx');
    const e = expected.cell(step, '2xx');
    assert.equal(a.requests, e.requests);
    assert.equal(a.checks, e.checks);
    assert.equal(encodeHistogram(a.histogram), encodeHistogram(e.histogram));
  }
}

test('addLiveRows folds rows into the totals and their seconds, as decode + add did', () => {
  const totals = new StepTable();
  const window = new SecondWindow();
  // in two batches, as ingest hands them over
  addUnpreparedRows(totals, window, rows.slice(0, 5));
  addUnpreparedRows(totals, window, rows.slice(5));
  same(totals, reference(rows));
  const settled = window.takeSettled(101);
  assert.deepEqual(
    settled.map(([second]) => second),
    [100, 101],
  );
  for (const [second, table] of settled) {
    same(table, reference(rows.filter((r) => r.second === second)));
  }
});

test('addLiveRows over a table alone equals the reference fold', () => {
  const table = new StepTable();
  addUnpreparedRows(table, undefined, rows);
  same(table, reference(rows));
  assert.equal(table.cell('home', '2xx').histogram.totalCount, 18); // 3 agents x 2 s x 3
});
