import type { RunStatus, RunSummary } from '@loadline/api';
import {
  buildRunSummary,
  evaluateThresholds,
  intendedMixOf,
  peakRateOf,
  type RunOutcome,
  requestsByStep,
  sharesOf,
  startedByFirstStep,
  stepTableSource,
  tableResults,
} from '@loadline/engine';
import { endsTheRun } from '@loadline/k6';
import { canTransition, type MetadataStore } from '@loadline/metadata';
import { settleK6 } from './k6-run.js';
import type { LiveRun } from './live-run.js';

/** A run's end as this control saw it: its final status, summary and abort reason. */
export interface Settlement {
  status: RunStatus;
  summary: RunSummary;
  abortReason: string | undefined;
}

/**
 * Settles a live run from what was merged: aborted when stopped (by control, a guardrail or
 * an agent), invalid when an agent could not keep up, degraded when an agent was lost, else
 * judged by its thresholds; `error` when it never ran. Thresholds are judged on merged
 * histograms over the whole run.
 */
export function settleLive(live: LiveRun, nowMs: number, forced?: 'error'): Settlement {
  const abortedByAgent = [...live.done.values()].find(
    (d) => d.aborted && !live.abortReason,
  )?.reason;
  const abortReason = live.abortReason ?? abortedByAgent;
  const outcome: RunOutcome =
    forced ??
    (abortReason !== undefined ? 'aborted' : live.lost.size > 0 ? 'degraded' : 'completed');
  const ranMs = live.startAt === 0 ? 0 : Math.min(live.durationMs, nowMs - live.startAt);
  const generator = live.generators.check({
    agents: live.shardCount,
    ...(live.target.kind === 'open' ? { peakRate: peakRateOf(live.target.profile) } : {}),
  });
  // A k6 run: its thresholds judged on every agent's metrics merged, and k6's exit code;
  // none for a run that never ran, unless a shard's script said why (an init error: 107).
  const k6 =
    live.k6 &&
    (forced !== 'error' || [...live.k6.endings.values()].some((e) => endsTheRun(e.exitCode)))
      ? settleK6(live.k6, {
          saturated: generator.saturated.length > 0,
          ...(generator.hint ? { saturationHint: generator.hint } : {}),
          abortReason,
        })
      : undefined;
  // A k6 script's scenarios may end before their longest possible length (iterations).
  const durationS = (k6 ? k6.elapsedMs : outcome === 'aborted' ? ranMs : live.durationMs) / 1000;
  const { scenario } = live;
  const stepsOfFlow = Object.fromEntries(
    scenario.flows.map((f) => [f.name, f.steps.map((s) => s.name)]),
  );
  const requests = requestsByStep(live.totals);
  // Agents' intervals carry no iteration counters: a flow's first-step requests are its
  // started iterations.
  const { iterations: _none, ...results } = tableResults(live.totals, scenario.flows);
  const summary = buildRunSummary({
    runId: live.run.id,
    scenario: scenario.name,
    outcome,
    durationS,
    agents: live.shardCount,
    results,
    thresholds:
      k6?.thresholds ??
      evaluateThresholds(scenario.thresholds, stepTableSource(live.totals, stepsOfFlow, durationS)),
    intendedMix: intendedMixOf(scenario.flows),
    achievedMix: sharesOf(startedByFirstStep(scenario.flows, (s) => requests.get(s) ?? 0)),
    ...(abortReason === undefined ? {} : { abortReason }),
    generator,
  });
  if (k6) summary.k6 = k6.outcome;
  return { status: summary.status, summary, abortReason };
}

/** Stores a run's end: its final status from whichever active state it is in. */
export async function storeSettlement(
  metadata: MetadataStore,
  runId: string,
  { status, summary, abortReason }: Settlement,
): Promise<void> {
  const from = (['queued', 'waiting-for-agents', 'running'] as const).filter((state) =>
    canTransition(state, status),
  );
  await metadata.transitionRun(runId, [...from], status, {
    summary: JSON.parse(JSON.stringify(summary)),
    passed: summary.passed,
    ...(abortReason === undefined ? {} : { abortReason }),
  });
}
