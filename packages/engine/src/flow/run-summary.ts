import type { GeneratorCheck, IterationCounts, RunStatus, RunSummary } from '@loadline/api';
import type { StepTable } from './step-stats.js';
import { type ReportedResults, reportedResults, summarizeFlows } from './summary.js';
import type { ThresholdResult } from './thresholds.js';

/**
 * How a run ended, before its thresholds are judged: it ran to the end (`completed`), ran to
 * the end without some agent (`degraded`), was stopped (`aborted`) or never ran (`error`).
 */
export type RunOutcome = 'completed' | 'degraded' | 'aborted' | 'error';

export interface RunSummaryInput {
  runId: string;
  /** the scenario's name */
  scenario: string;
  outcome: RunOutcome;
  durationS: number;
  agents: number;
  results: ReportedResults;
  thresholds: ThresholdResult[];
  /** each flow's intended share of iterations (0..1) */
  intendedMix: Record<string, number>;
  /** each flow's achieved share of iterations (0..1) */
  achievedMix: Record<string, number>;
  /** why the achieved mix is missing or partial, when it is */
  achievedMixNote?: string;
  iterations?: IterationCounts;
  abortReason?: string;
  /** the generators' self-check; a saturated generator makes a run that ran `invalid` */
  generator?: GeneratorCheck;
}

const round = (v: number) => Math.round(v * 1000) / 1000;
const rounded = (mix: Record<string, number>) =>
  Object.fromEntries(Object.entries(mix).map(([k, v]) => [k, round(v)]));

/**
 * A run's final status and verdict. `passed` is true exactly when the status is `passed`: a
 * completed run whose thresholds all held. A run that ran to its end (completed or degraded)
 * with a saturated generator is `invalid`, whatever its thresholds say. Degraded, aborted,
 * invalid and error runs never pass.
 */
export function runVerdict(
  outcome: RunOutcome,
  thresholds: readonly ThresholdResult[],
  generator?: GeneratorCheck,
): { status: RunStatus; passed: boolean } {
  const saturated = (generator?.saturated.length ?? 0) > 0;
  if (saturated && (outcome === 'completed' || outcome === 'degraded')) {
    return { status: 'invalid', passed: false };
  }
  if (outcome !== 'completed') return { status: outcome, passed: false };
  const passed = thresholds.every((t) => t.passed);
  return { status: passed ? 'passed' : 'failed', passed };
}

/** The one builder of a run's result: local runs, live fleet runs and recovered runs. */
export function buildRunSummary(input: RunSummaryInput): RunSummary {
  const { status, passed } = runVerdict(input.outcome, input.thresholds, input.generator);
  const saturated = (input.generator?.saturated.length ?? 0) > 0;
  return {
    runId: input.runId,
    status,
    passed,
    // A run stopped before its common start instant has run for no time, not for less.
    durationS: round(Math.max(0, input.durationS)),
    agents: input.agents,
    intendedMix: rounded(input.intendedMix),
    achievedMix: rounded(input.achievedMix),
    ...(input.achievedMixNote === undefined ? {} : { achievedMixNote: input.achievedMixNote }),
    ...input.results,
    // Still reported, for the record, but a saturated generator measured them.
    thresholds: saturated
      ? input.thresholds.map((t) => ({ ...t, untrustworthy: true }))
      : input.thresholds,
    scenario: input.scenario,
    ...(input.iterations === undefined ? {} : { iterations: input.iterations }),
    ...(input.abortReason === undefined ? {} : { abortReason: input.abortReason }),
    ...(input.generator === undefined ? {} : { generator: input.generator }),
  };
}

/** Shares of a total: each count over their sum (all 0 when nothing was counted). */
export function sharesOf(counts: Record<string, number>): Record<string, number> {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return Object.fromEntries(
    Object.entries(counts).map(([k, v]) => [k, total === 0 ? 0 : v / total]),
  );
}

/** The mix a scenario's flow weights ask for. */
export function intendedMixOf(
  flows: ReadonlyArray<{ name: string; weight: number }>,
): Record<string, number> {
  return sharesOf(Object.fromEntries(flows.map((f) => [f.name, f.weight])));
}

/**
 * Iterations each flow started, counted as the requests of its first step (step names are
 * unique per scenario, so a flow's first step is its own): what results merged from agents
 * (or read back from the store) can tell.
 */
export function startedByFirstStep(
  flows: ReadonlyArray<{ name: string; steps: ReadonlyArray<{ name: string }> }>,
  requestsOfStep: (step: string) => number,
): Record<string, number> {
  return Object.fromEntries(
    flows.map((f) => {
      const first = f.steps[0]?.name;
      return [f.name, first === undefined ? 0 : requestsOfStep(first)];
    }),
  );
}

/** Requests per step in a merged table. */
export function requestsByStep(table: StepTable): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, cell] of table.cells) {
    const step = key.split('\u0000')[0] as string;
    out.set(step, (out.get(step) ?? 0) + cell.requests);
  }
  return out;
}

/** A merged table's per-step and total results, steps in the scenario's order. */
export function tableResults(
  table: StepTable,
  flows: ReadonlyArray<{ steps: ReadonlyArray<{ name: string }> }>,
): ReportedResults & { iterations: IterationCounts } {
  const summary = summarizeFlows(
    table,
    flows.flatMap((f) => f.steps.map((s) => s.name)),
  );
  return { ...reportedResults(summary), iterations: summary.iterations };
}
