import type { IntervalRow } from '@loadline/api';
import { StepTable } from '@loadline/engine';
import { recordEncoded } from '@loadline/store';

/**
 * Folds one interval row into each of `tables` (exact histogram merge), reading its
 * histogram once whatever the number of tables: decoding it was most of control's CPU at
 * a few hundred agents (bench fleet-sim).
 */
function addRow(tables: readonly StepTable[], row: IntervalRow): void {
  for (const table of tables) {
    table.counters.late += row.late;
    table.counters.dropped += row.dropped;
  }
  if (row.statusClass === 'none') return;
  const cells = tables.map((table) => table.cell(row.step, row.statusClass));
  for (const cell of cells) {
    cell.requests += row.requests;
    cell.errors += row.errors;
    cell.checks += row.checks;
    cell.checksFailed += row.checksFailed;
  }
  recordEncoded(
    row.histogram,
    cells.map((cell) => cell.histogram),
  );
}

/** Folds interval rows from any number of agents into a StepTable (exact histogram merge). */
export function addRows(table: StepTable, rows: readonly IntervalRow[]): void {
  for (const row of rows) addRow([table], row);
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

/** A stored row into a live run's totals and its second's table, its histogram read once. */
export function addLiveRow(totals: StepTable, window: SecondWindow, row: IntervalRow): void {
  addRow([totals, window.tableOf(row.second)], row);
}
