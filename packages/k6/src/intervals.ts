/**
 * A k6 run's requests as every Loadline run stores them: one IntervalRow per second, request
 * name and status class, with its latency histogram, so ClickHouse, the console, compare,
 * reports and capacity fitting read a k6 run as they read any other.
 */
import { type IntervalRow, type StatusClass, statusClassOf } from '@loadline/api';
import {
  createLatencyHistogram,
  encodeHistogram,
  type Histogram,
  recordLatencyUs,
} from '@loadline/histogram';

/**
 * Distinct request names kept apart in one run; later ones count as `other`. k6 names a
 * request by its URL unless tagged, and a URL with ids in it would make a step per id.
 */
export const MAX_STEPS = 500;

interface Cell {
  step: string;
  statusClass: StatusClass;
  requests: number;
  errors: number;
  histogram: Histogram;
}

export class IntervalRecorder {
  #cells = new Map<string, Cell>();
  readonly #steps = new Set<string>();
  #checks = 0;
  #checksFailed = 0;

  /** A response (or a failed request): `status` 0 when none came. */
  request(name: string, status: number, durationMs: number, failed: boolean): void {
    const step = this.#steps.has(name) || this.#steps.size < MAX_STEPS ? name : 'other';
    this.#steps.add(step);
    const statusClass = statusClassOf(status === 0 ? undefined : status);
    const key = `${statusClass}\u0000${step}`;
    let cell = this.#cells.get(key);
    if (!cell) {
      cell = { step, statusClass, requests: 0, errors: 0, histogram: createLatencyHistogram() };
      this.#cells.set(key, cell);
    }
    cell.requests++;
    if (failed) cell.errors++;
    recordLatencyUs(cell.histogram, Math.max(0, Math.round(durationMs * 1000)));
  }

  check(passed: boolean): void {
    this.#checks++;
    if (!passed) this.#checksFailed++;
  }

  /** The second's rows (checks on the run-level row, step ""); the recorder starts again. */
  take(ids: { runId: string; agentId: string }, second: number): IntervalRow[] {
    const base = { ...ids, second, late: 0, dropped: 0 };
    const rows: IntervalRow[] = [...this.#cells.values()].map((cell) => ({
      ...base,
      step: cell.step,
      statusClass: cell.statusClass,
      requests: cell.requests,
      errors: cell.errors,
      checks: 0,
      checksFailed: 0,
      histogram: encodeHistogram(cell.histogram),
    }));
    if (this.#checks > 0) {
      rows.push({
        ...base,
        step: '',
        statusClass: 'none',
        requests: 0,
        errors: 0,
        checks: this.#checks,
        checksFailed: this.#checksFailed,
        histogram: '',
      });
    }
    this.#cells = new Map();
    this.#checks = 0;
    this.#checksFailed = 0;
    return rows;
  }
}
