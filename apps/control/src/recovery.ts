import {
  buildRunSummary,
  evaluateThresholds,
  intendedMixOf,
  type MetricSource,
  sharesOf,
  startedByFirstStep,
} from '@loadline/engine';
import { createLatencyHistogram, type Histogram } from '@loadline/histogram';
import type { MetadataStore, Run } from '@loadline/metadata';
import type { MetricSelector } from '@loadline/scenario';
import { parseSelector } from '@loadline/scenario';
import type { ResultStore } from '@loadline/store';
import { storedScenarioOf } from './api/views.js';
import { storeSettlement } from './settle.js';

/**
 * A control that starts finds runs no live control coordinates (it crashed, or was
 * stopped mid-run). Their agents stopped by themselves within seconds (dead-man switch)
 * and everything they delivered is in ClickHouse: settle each run from there, so nothing
 * stays "running" forever and nothing delivered is lost.
 */
export async function recoverOrphanedRuns(
  metadata: MetadataStore,
  store: ResultStore,
  log: (line: string) => void,
): Promise<string[]> {
  const recovered: string[] = [];
  for (const run of await metadata.listOrphanedRuns()) {
    try {
      await settleFromStore(metadata, store, run);
      recovered.push(run.id);
      log(
        `run ${run.id}: control restarted while it was ${run.status}; settled from stored results`,
      );
    } catch (error) {
      log(`run ${run.id}: could not settle after restart: ${(error as Error).message}`);
    }
  }
  return recovered;
}

async function settleFromStore(
  metadata: MetadataStore,
  store: ResultStore,
  run: Run,
): Promise<void> {
  const outcome = run.status === 'running' ? 'aborted' : 'error';
  const reason =
    run.status === 'running'
      ? 'control restarted during the run; agents stopped by their dead-man switch; delivered results kept'
      : 'control restarted before the run started';
  const stored = await metadata.getScenario(run.scenario, run.scenarioVersion ?? undefined);
  const { scenario } = storedScenarioOf(stored.parsed);
  const totals = await store.runTotals(run.id);
  const steps = await store.stepSummaries(run.id);
  const durationS = run.startedAt ? Math.max((Date.now() - run.startedAt.getTime()) / 1000, 1) : 1;
  const histograms = new Map<string, Histogram>();
  for (const selectorText of Object.keys(scenario.thresholds)) {
    const selector = parseSelector(selectorText);
    if (typeof selector === 'string') continue;
    const stepNames = selector.tags.step
      ? [selector.tags.step]
      : selector.tags.flow
        ? (scenario.flows.find((f) => f.name === selector.tags.flow)?.steps.map((s) => s.name) ??
          [])
        : undefined;
    histograms.set(
      selectorText,
      await store.mergedHistogram(run.id, stepNames ? { steps: stepNames } : {}),
    );
  }
  const key = (selector: MetricSelector) =>
    `${selector.metric}${
      Object.keys(selector.tags).length
        ? `{${Object.entries(selector.tags)
            .map(([k, v]) => `${k}:${v}`)
            .join(',')}}`
        : ''
    }`;
  const source: MetricSource = {
    durationS,
    histogram: (selector) => histograms.get(key(selector)) ?? createLatencyHistogram(),
    counts: (selector) => {
      const rows = selector.tags.step
        ? steps.filter((s) => s.step === selector.tags.step)
        : undefined;
      const sum = (field: 'requests' | 'errors' | 'checks' | 'checksFailed') =>
        rows ? rows.reduce((n, s) => n + s[field], 0) : totals[field];
      return {
        requests: sum('requests'),
        errors: sum('errors'),
        checks: sum('checks'),
        checksFailed: sum('checksFailed'),
        iterations: 0,
        dropped: totals.dropped,
      };
    },
  };
  const pick = (l: { p50: number; p90: number; p99: number; p999: number; max: number }) => ({
    p50: l.p50,
    p90: l.p90,
    p99: l.p99,
    p999: l.p999,
    max: l.max,
  });
  const requestsOfStep = new Map(steps.map((s) => [s.step, s.requests]));
  const summary = buildRunSummary({
    runId: run.id,
    scenario: scenario.name,
    outcome,
    durationS,
    agents: run.agentsRequested,
    results: {
      total: { requests: totals.requests, errors: totals.errors, latencyMs: pick(totals.latency) },
      steps: Object.fromEntries(
        steps.map((s) => [
          s.step,
          {
            requests: s.requests,
            errors: s.errors,
            checksFailed: s.checksFailed,
            latencyMs: pick(s.latency),
          },
        ]),
      ),
      late: totals.late,
      dropped: totals.dropped,
    },
    // Thresholds are still reported (on what was delivered), for the record.
    thresholds: evaluateThresholds(scenario.thresholds, source),
    intendedMix: intendedMixOf(scenario.flows),
    // As on a live run: a flow's first-step requests are the iterations it started.
    achievedMix: sharesOf(
      startedByFirstStep(scenario.flows, (step) => requestsOfStep.get(step) ?? 0),
    ),
    ...(totals.requests === 0
      ? { achievedMixNote: 'no results were stored before control restarted' }
      : {}),
    abortReason: reason,
  });
  await storeSettlement(metadata, run.id, {
    status: summary.status,
    summary,
    abortReason: reason,
  });
}
