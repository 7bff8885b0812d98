import { IntervalRow } from '@loadline/api';
import { z } from 'zod';
import { AgentId, RunId, StepName } from './schemas.js';
import { encodedHistogramProblem } from './v2-encoding.js';

/** The row contract of @loadline/api, tightened where storage needs it. */
export const StoredIntervalRow = IntervalRow.extend({
  runId: RunId,
  agentId: AgentId,
  step: StepName,
  second: z.number().int().nonnegative().max(4_294_967_295),
  requests: z.number().int().nonnegative().max(4_294_967_295),
  errors: z.number().int().nonnegative().max(4_294_967_295),
});

const Batch = z.array(StoredIntervalRow);

export interface RowIssue {
  /** e.g. "rows[3].requests" */
  path: string;
  message: string;
}

/** A batch with invalid rows; nothing of it was written. Lists every problem. */
export class InvalidIntervalRowsError extends Error {
  override name = 'InvalidIntervalRowsError';
  readonly issues: RowIssue[];

  constructor(issues: RowIssue[]) {
    const shown = issues.slice(0, 10).map((i) => `${i.path}: ${i.message}`);
    const more = issues.length > 10 ? `; and ${issues.length - 10} more` : '';
    super(`invalid interval rows, nothing stored: ${shown.join('; ')}${more}`);
    this.issues = issues;
  }
}

function pathOf(path: readonly PropertyKey[]): string {
  return ['rows', ...path]
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

/**
 * Validates a batch; every problem of every row is reported, each with its path. The
 * histogram's structure is checked outside zod (a per-row refinement costs 4x the rest
 * of the row's validation), on every row that has a string there.
 */
export function validateIntervalRows(rows: unknown): IntervalRow[] {
  const result = Batch.safeParse(rows);
  const issues: RowIssue[] = result.success
    ? []
    : result.error.issues.map((issue) => ({ path: pathOf(issue.path), message: issue.message }));
  if (Array.isArray(rows)) {
    rows.forEach((row: unknown, index) => {
      const histogram = (row as { histogram?: unknown } | null)?.histogram;
      if (typeof histogram !== 'string') return;
      const problem = encodedHistogramProblem(histogram);
      if (problem) issues.push({ path: pathOf([index, 'histogram']), message: problem });
    });
  }
  if (result.success && issues.length === 0) return result.data;
  throw new InvalidIntervalRowsError(issues);
}

/** An interval row as the `intervals` table spells it. */
export function toIntervalRecord(row: IntervalRow): Record<string, unknown> {
  return {
    run_id: row.runId,
    agent_id: row.agentId,
    step: row.step,
    status_class: row.statusClass,
    second: row.second,
    requests: row.requests,
    errors: row.errors,
    checks: row.checks,
    checks_failed: row.checksFailed,
    late: row.late,
    dropped: row.dropped,
    histogram: row.histogram,
  };
}

/** The start (epoch s) of the minute a second belongs to. */
export function minuteOf(second: number): number {
  return second - (second % 60);
}

/** One ingest marker per (run, step, status class, minute) the rows touch. */
export function ingestMarkers(rows: readonly IntervalRow[]): Record<string, unknown>[] {
  const seen = new Map<string, Record<string, unknown>>();
  for (const row of rows) {
    const minute = minuteOf(row.second);
    const key = `${row.runId}\0${row.step}\0${row.statusClass}\0${minute}`; // no NUL in names
    if (!seen.has(key)) {
      seen.set(key, {
        run_id: row.runId,
        step: row.step,
        status_class: row.statusClass,
        minute,
      });
    }
  }
  return [...seen.values()];
}
