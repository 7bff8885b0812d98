import {
  evaluateThresholds,
  type ReportedResults,
  reportedResults,
  type StepTable,
  stepTableSource,
  summarizeFlows,
  type ThresholdResult,
} from '@loadline/engine';
import type { Scenario } from '@loadline/scenario';

/** The `loadline run --json` shape, computed from merged results. */
export interface RunSummary extends ReportedResults {
  runId: string;
  status: string;
  passed: boolean;
  durationS: number;
  agents: number;
  intendedMix: Record<string, number>;
  achievedMix: Record<string, number>;
  thresholds: ThresholdResult[];
  scenario: string;
  abortReason?: string;
}

const round = (v: number) => Math.round(v * 1000) / 1000;
export function buildSummary(
  runId: string,
  scenario: Scenario,
  totals: StepTable,
  options: {
    durationS: number;
    agents: number;
    status: string;
    abortReason?: string;
    iterationsByFlow: Map<string, number>;
  },
): RunSummary {
  const stepsOfFlow = Object.fromEntries(
    scenario.flows.map((f) => [f.name, f.steps.map((s) => s.name)]),
  );
  const thresholds = evaluateThresholds(
    scenario.thresholds,
    stepTableSource(totals, stepsOfFlow, options.durationS),
  );
  const summary = summarizeFlows(
    totals,
    scenario.flows.flatMap((f) => f.steps.map((s) => s.name)),
  );
  const weight = scenario.flows.reduce((n, f) => n + f.weight, 0);
  const started = [...options.iterationsByFlow.values()].reduce((a, b) => a + b, 0);
  const passed = options.status !== 'aborted' && thresholds.every((t) => t.passed);
  return {
    runId,
    status: options.status,
    passed,
    durationS: round(options.durationS),
    agents: options.agents,
    intendedMix: Object.fromEntries(scenario.flows.map((f) => [f.name, round(f.weight / weight)])),
    achievedMix: Object.fromEntries(
      scenario.flows.map((f) => [
        f.name,
        started === 0 ? 0 : round((options.iterationsByFlow.get(f.name) ?? 0) / started),
      ]),
    ),
    ...reportedResults(summary),
    thresholds,
    scenario: scenario.name,
    ...(options.abortReason === undefined ? {} : { abortReason: options.abortReason }),
  };
}
