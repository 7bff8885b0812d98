import type { IntervalRow } from '@loadline/api';
import { StepTable } from '@loadline/engine';
import { HistogramAccumulator } from '@loadline/store';
import { asBuffer, type PreparedRows, prepareRows } from './ingest-decode.js';
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
 * Stored rows (one run's, prepared: `prepareRows`) into a live run's totals and (when
 * given) the window of their seconds and its live series. Each cell's merged histogram is
 * added into a table once: decoding each row through hdr-histogram-js and adding it
 * (twice: run totals and its second) was most of control's CPU at a hundred agents.
 */
export function addLiveRows(
  totals: StepTable,
  window: SecondWindow | undefined,
  prepared: PreparedRows,
  series?: LiveSeries,
): void {
  for (const row of prepared.rows) {
    addCounters(totals, row);
    if (window) addCounters(window.tableOf(row.second), row);
  }
  for (const cell of prepared.cells) {
    scratch.reset();
    scratch.addPlain(asBuffer(cell.plain));
    const merged = scratch.toHistogram();
    totals.cell(cell.step, cell.statusClass).histogram.add(merged);
    window?.tableOf(cell.second).cell(cell.step, cell.statusClass).histogram.add(merged);
  }
  series?.add(prepared);
}

const scratch = new HistogramAccumulator();

/** Rows not prepared yet (a taken-over run's stored rows, read back) into a live run's tables. */
export function addUnpreparedRows(
  totals: StepTable,
  window: SecondWindow | undefined,
  rows: readonly IntervalRow[],
  series?: LiveSeries,
): void {
  for (const part of prepareRows(rows)) addLiveRows(totals, window, part, series);
}
