import type { StatusClass } from '@loadline/api';
import {
  createLatencyHistogram,
  type Histogram,
  type LatencySummary,
  summarizeLatency,
} from '@loadline/histogram';
import type { StepTable } from './step-stats.js';

export interface StepSummary {
  requests: number;
  errors: number;
  checks: number;
  checksFailed: number;
  statusCodes: Record<string, number>;
  transportErrors: Record<string, number>;
  /** latency of every response (any status); transport errors have none */
  latencyMs: Omit<LatencySummary, 'count'>;
  histogram: Histogram;
}

export interface FlowSummary {
  total: StepSummary;
  steps: Record<string, StepSummary>;
  late: number;
  dropped: number;
  iterations: { started: number; completed: number; failed: number };
}

function emptySummary(): StepSummary & { statusClasses: Set<StatusClass> } {
  return {
    requests: 0,
    errors: 0,
    checks: 0,
    checksFailed: 0,
    statusCodes: {},
    transportErrors: {},
    latencyMs: { min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 },
    histogram: createLatencyHistogram(),
    statusClasses: new Set(),
  };
}

/** Folds (step, status class) cells into per-step and whole-run figures, by exact merge. */
export function summarizeFlows(table: StepTable, stepOrder: readonly string[] = []): FlowSummary {
  const total = emptySummary();
  const steps = new Map<string, ReturnType<typeof emptySummary>>();
  for (const name of stepOrder) steps.set(name, emptySummary());
  for (const [key, cell] of table.cells) {
    const [step] = key.split('\u0000') as [string];
    let summary = steps.get(step);
    if (!summary) {
      summary = emptySummary();
      steps.set(step, summary);
    }
    for (const target of [summary, total]) {
      target.requests += cell.requests;
      target.errors += cell.errors;
      target.checks += cell.checks;
      target.checksFailed += cell.checksFailed;
      target.histogram.add(cell.histogram);
      for (const [code, n] of cell.statusCodes) {
        target.statusCodes[String(code)] = (target.statusCodes[String(code)] ?? 0) + n;
      }
      for (const [code, n] of cell.transportErrors) {
        target.transportErrors[code] = (target.transportErrors[code] ?? 0) + n;
      }
    }
  }
  const finish = (s: ReturnType<typeof emptySummary>): StepSummary => {
    const { count: _count, ...latencyMs } = summarizeLatency(s.histogram);
    const { statusClasses: _classes, ...rest } = s;
    return { ...rest, latencyMs };
  };
  const counters = table.counters;
  const started = [...counters.iterationsStarted.values()].reduce((a, b) => a + b, 0);
  return {
    total: finish(total),
    steps: Object.fromEntries([...steps].map(([name, s]) => [name, finish(s)])),
    late: counters.late,
    dropped: counters.dropped,
    iterations: {
      started,
      completed: counters.iterationsCompleted,
      failed: counters.iterationsFailed,
    },
  };
}

/** The latency figures a run report shows, in ms. */
export interface ReportLatency {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** The per-step and total part of a run report (`loadline run --json`): a stable interface. */
export interface ReportedResults {
  total: { requests: number; errors: number; latencyMs: ReportLatency };
  steps: Record<
    string,
    { requests: number; errors: number; checksFailed: number; latencyMs: ReportLatency }
  >;
  late: number;
  dropped: number;
}

function reportLatency(l: ReportLatency): ReportLatency {
  return { p50: l.p50, p90: l.p90, p99: l.p99, p999: l.p999, max: l.max };
}

/** Shapes a summary into the report fields, whether the run was local or on the fleet. */
export function reportedResults(summary: FlowSummary): ReportedResults {
  return {
    total: {
      requests: summary.total.requests,
      errors: summary.total.errors,
      latencyMs: reportLatency(summary.total.latencyMs),
    },
    steps: Object.fromEntries(
      Object.entries(summary.steps).map(([name, s]) => [
        name,
        {
          requests: s.requests,
          errors: s.errors,
          checksFailed: s.checksFailed,
          latencyMs: reportLatency(s.latencyMs),
        },
      ]),
    ),
    late: summary.late,
    dropped: summary.dropped,
  };
}
