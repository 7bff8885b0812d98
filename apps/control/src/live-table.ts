import type { IntervalRow } from '@loadline/api';
import { StepTable } from '@loadline/engine';
import { HistogramAccumulator, plainOf } from '@loadline/store';
import type { LiveSeries } from './live-series.js';

/** Adds a row's counters (not its histogram) into a table's cell. */
function addCounters(table: StepTable, row: IntervalRow): void {
  table.counters.late += row.late;
  table.counters.dropped += row.dropped;
  if (row.statusClass === 'none') return;
  const cell = table.cell(row.step, row.statusClass);
  cell.requests += row.requests;
  cell.errors += row.errors;
  cell.checks += row.checks;
  cell.checksFailed += row.checksFailed;
}

interface Group {
  second: number;
  step: string;
  statusClass: IntervalRow['statusClass'];
  histograms: HistogramAccumulator;
}

/**
 * The rows' histograms merged per (second, step, status class), straight from their
 * encodings: every agent's row of a cell costs one pass over its buckets, and the cell's
 * merged histogram is added into a table once. Decoding each row through hdr-histogram-js
 * and adding it (twice: run totals and its second) was most of control's CPU at a hundred
 * agents (bench fleet-sim).
 */
function groupHistograms(
  rows: readonly IntervalRow[],
  plains: ReadonlyArray<Buffer | undefined>,
): Group[] {
  const groups = new Map<string, Group>();
  for (const [i, row] of rows.entries()) {
    const plain = plains[i];
    if (!plain) continue;
    const key = `${row.second}\u0000${row.step}\u0000${row.statusClass}`;
    let group = groups.get(key);
    if (!group) {
      group = {
        second: row.second,
        step: row.step,
        statusClass: row.statusClass,
        histograms: new HistogramAccumulator(),
      };
      groups.set(key, group);
    }
    group.histograms.addPlain(plain);
  }
  return [...groups.values()];
}

/**
 * The last few seconds of a run, per second, merged across agents: what guardrails read.
 * Rows of a second keep arriving for a moment (agents rotate independently), so a second
 * is judged once it is `settleS` old.
 */
export class SecondWindow {
  readonly #seconds = new Map<number, StepTable>();

  /** The table of one second, made when it is the first row of it. */
  tableOf(second: number): StepTable {
    let table = this.#seconds.get(second);
    if (!table) {
      table = new StepTable();
      this.#seconds.set(second, table);
    }
    return table;
  }

  /** Removes and returns the seconds up to `upTo`, oldest first. */
  takeSettled(upTo: number): Array<[number, StepTable]> {
    const out = [...this.#seconds].filter(([second]) => second <= upTo).sort((a, b) => a[0] - b[0]);
    for (const [second] of out) this.#seconds.delete(second);
    return out;
  }
}

/**
 * Stored rows into a live run's totals and (when given) the window of their seconds and
 * its live series. Each row's histogram is decoded once for all of them.
 */
export function addLiveRows(
  totals: StepTable,
  window: SecondWindow | undefined,
  rows: readonly IntervalRow[],
  series?: LiveSeries,
): void {
  for (const row of rows) {
    addCounters(totals, row);
    if (window) addCounters(window.tableOf(row.second), row);
  }
  const plains = rows.map((row) =>
    row.statusClass === 'none' || row.histogram === '' ? undefined : plainOf(row.histogram),
  );
  const groups = groupHistograms(rows, plains);
  for (const group of groups) {
    const merged = group.histograms.toHistogram();
    totals.cell(group.step, group.statusClass).histogram.add(merged);
    window?.tableOf(group.second).cell(group.step, group.statusClass).histogram.add(merged);
  }
  series?.add(rows, plains, groups);
}
