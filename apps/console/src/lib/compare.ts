import type { StepResult, TotalResult } from '@loadline/api';
import type { Run } from '@loadline/api/http';

/** What a comparison reads of a run. */
export type ComparedRun = Pick<Run, 'id' | 'summary'>;
type Figures = StepResult | TotalResult;

/** Worse by more than this fraction counts as a regression. */
export const REGRESSION = 0.1;

export const METRICS = ['requests', 'errorRate', 'p50', 'p90', 'p99', 'max'] as const;
export type Metric = (typeof METRICS)[number];

export interface Cell {
  value: number | null;
  /** relative change against the baseline; null for the baseline or when it has no value */
  delta: number | null;
  regression: boolean;
  improvement: boolean;
}

export interface CompareRow {
  step: string;
  runId: string;
  baseline: boolean;
  cells: Record<Metric, Cell>;
}

function metric(s: Figures | undefined, m: Metric): number | null {
  if (!s) return null;
  switch (m) {
    case 'requests':
      return s.requests;
    case 'errorRate':
      return s.requests === 0 ? 0 : s.errors / s.requests;
    default:
      return s.latencyMs[m];
  }
}

/** Lower is better for everything but the request count, which is only informative. */
function cell(m: Metric, value: number | null, base: number | null, baseline: boolean): Cell {
  if (baseline || value === null || base === null) {
    return { value, delta: null, regression: false, improvement: false };
  }
  const delta = base === 0 ? (value === 0 ? 0 : null) : (value - base) / base;
  const judged = m === 'p99' || m === 'errorRate';
  // an error rate that rises from zero is a regression however small
  const worse = delta === null ? value > base : delta > REGRESSION;
  const better = delta !== null && delta < -REGRESSION;
  return { value, delta, regression: judged && worse, improvement: judged && better };
}

/** The steps of every run, in the baseline's order first, then `total`. */
export function stepNames(runs: readonly ComparedRun[]): string[] {
  const names: string[] = [];
  for (const run of runs) {
    for (const name of Object.keys(run.summary?.steps ?? {})) {
      if (!names.includes(name)) names.push(name);
    }
  }
  return names;
}

function stepOf(run: ComparedRun, step: string): Figures | undefined {
  if (!run.summary) return undefined;
  return step === 'total' ? run.summary.total : run.summary.steps[step];
}

/** Rows per step and run: each run's figures and their change against the first run. */
export function compareRuns(runs: readonly ComparedRun[]): CompareRow[] {
  const [baseline] = runs;
  if (!baseline) return [];
  const rows: CompareRow[] = [];
  for (const step of [...stepNames(runs), 'total']) {
    const base = stepOf(baseline, step);
    runs.forEach((run, i) => {
      const s = stepOf(run, step);
      const cells = Object.fromEntries(
        METRICS.map((m) => [m, cell(m, metric(s, m), metric(base, m), i === 0)]),
      ) as Record<Metric, Cell>;
      rows.push({ step, runId: run.id, baseline: i === 0, cells });
    });
  }
  return rows;
}

export function signedPercent(delta: number | null): string {
  if (delta === null) return 'n/a';
  const p = delta * 100;
  if (Math.abs(p) < 0.05) return '±0%';
  return `${p > 0 ? '+' : '−'}${Math.abs(p).toFixed(1)}%`;
}
