import type { IntervalRow } from '@loadline/api';
import { StepTable } from '@loadline/engine';
import { decodeHistogram } from '@loadline/histogram';

/** Folds interval rows from any number of agents into a StepTable (exact histogram merge). */
export function addRows(table: StepTable, rows: readonly IntervalRow[]): void {
  for (const row of rows) {
    table.counters.late += row.late;
    table.counters.dropped += row.dropped;
    if (row.statusClass === 'none') continue;
    const cell = table.cell(row.step, row.statusClass);
    cell.requests += row.requests;
    cell.errors += row.errors;
    cell.checks += row.checks;
    cell.checksFailed += row.checksFailed;
    if (row.histogram !== '') cell.histogram.add(decodeHistogram(row.histogram));
  }
}

/**
 * The last few seconds of a run, per second, merged across agents: what guardrails read.
 * Rows of a second keep arriving for a moment (agents rotate independently), so a second
 * is judged once it is `settleS` old.
 */
export class SecondWindow {
  readonly #seconds = new Map<number, StepTable>();

  add(rows: readonly IntervalRow[]): void {
    for (const row of rows) {
      let table = this.#seconds.get(row.second);
      if (!table) {
        table = new StepTable();
        this.#seconds.set(row.second, table);
      }
      addRows(table, [row]);
    }
  }

  /** Removes and returns the seconds up to `upTo`, oldest first. */
  takeSettled(upTo: number): Array<[number, StepTable]> {
    const out = [...this.#seconds].filter(([second]) => second <= upTo).sort((a, b) => a[0] - b[0]);
    for (const [second] of out) this.#seconds.delete(second);
    return out;
  }
}
