import { type IntervalRow, type StatusClass, statusClassOf } from '@loadline/api';
import {
  createLatencyHistogram,
  encodeHistogram,
  type Histogram,
  recordLatencyUs,
} from '@loadline/histogram';

/** Counts and latency of one step and status class. */
export class StepCell {
  requests = 0;
  errors = 0;
  checksFailed = 0;
  checks = 0;
  readonly histogram: Histogram = createLatencyHistogram();
  readonly statusCodes = new Map<number, number>();
  readonly transportErrors = new Map<string, number>();

  add(other: StepCell): void {
    this.requests += other.requests;
    this.errors += other.errors;
    this.checksFailed += other.checksFailed;
    this.checks += other.checks;
    this.histogram.add(other.histogram);
    for (const [code, n] of other.statusCodes)
      this.statusCodes.set(code, (this.statusCodes.get(code) ?? 0) + n);
    for (const [code, n] of other.transportErrors) {
      this.transportErrors.set(code, (this.transportErrors.get(code) ?? 0) + n);
    }
  }
}

/** Run-level counters that belong to no single response. */
export interface FlowCounters {
  /** requests written to a socket */
  sent: number;
  late: number;
  dropped: number;
  iterationsStarted: Map<string, number>;
  iterationsCompleted: number;
  iterationsFailed: number;
}

export function emptyCounters(): FlowCounters {
  return {
    sent: 0,
    late: 0,
    dropped: 0,
    iterationsStarted: new Map(),
    iterationsCompleted: 0,
    iterationsFailed: 0,
  };
}

export function addCounters(target: FlowCounters, source: FlowCounters): void {
  target.sent += source.sent;
  target.late += source.late;
  target.dropped += source.dropped;
  target.iterationsCompleted += source.iterationsCompleted;
  target.iterationsFailed += source.iterationsFailed;
  for (const [flow, n] of source.iterationsStarted) {
    target.iterationsStarted.set(flow, (target.iterationsStarted.get(flow) ?? 0) + n);
  }
}

/**
 * Per (step, status class) cells for one interval. Kept apart so a fast 5xx never
 * improves the latency of successful requests.
 */
export class StepTable {
  readonly cells = new Map<string, StepCell>();
  readonly counters: FlowCounters = emptyCounters();

  cell(step: string, statusClass: StatusClass): StepCell {
    const key = `${step}\u0000${statusClass}`;
    let cell = this.cells.get(key);
    if (!cell) {
      cell = new StepCell();
      this.cells.set(key, cell);
    }
    return cell;
  }

  recordResponse(step: string, statusCode: number, latencyUs: number): StepCell {
    const cell = this.cell(step, statusClassOf(statusCode));
    cell.requests++;
    if (statusCode >= 400) cell.errors++;
    cell.statusCodes.set(statusCode, (cell.statusCodes.get(statusCode) ?? 0) + 1);
    recordLatencyUs(cell.histogram, latencyUs);
    return cell;
  }

  recordTransportError(step: string, code: string): void {
    const cell = this.cell(step, 'error');
    cell.requests++;
    cell.errors++;
    cell.transportErrors.set(code, (cell.transportErrors.get(code) ?? 0) + 1);
  }

  add(other: StepTable): void {
    for (const [key, cell] of other.cells) {
      let mine = this.cells.get(key);
      if (!mine) {
        mine = new StepCell();
        this.cells.set(key, mine);
      }
      mine.add(cell);
    }
    addCounters(this.counters, other.counters);
  }

  /** Rows for the wire and for storage: one per cell, plus one for the counters. */
  toRows(runId: string, agentId: string, second: number): IntervalRow[] {
    const rows: IntervalRow[] = [];
    for (const [key, cell] of this.cells) {
      const [step, statusClass] = key.split('\u0000') as [string, StatusClass];
      rows.push({
        runId,
        agentId,
        step,
        statusClass,
        second,
        requests: cell.requests,
        errors: cell.errors,
        checks: cell.checks,
        checksFailed: cell.checksFailed,
        late: 0,
        dropped: 0,
        histogram: cell.histogram.totalCount > 0 ? encodeHistogram(cell.histogram) : '',
      });
    }
    const { late, dropped } = this.counters;
    if (late > 0 || dropped > 0) {
      rows.push({
        runId,
        agentId,
        step: '',
        statusClass: 'none',
        second,
        requests: 0,
        errors: 0,
        checks: 0,
        checksFailed: 0,
        late,
        dropped,
        histogram: '',
      });
    }
    return rows;
  }
}
