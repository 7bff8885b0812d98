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

/** What a sweep needs besides the stores: who sweeps, and what it already coordinates. */
export interface OrphanSweep {
  /** this control's name in run leases */
  coordinatorId: string;
  /** runs this control coordinates itself (never orphans, whatever their lease says) */
  active: () => readonly string[];
  /**
   * Goes on coordinating the run from what was written (a queued one: launches it again);
   * false when that cannot be done, and the run is settled instead
   */
  adopt: (run: Run) => Promise<boolean>;
  /** tells agents holding the run's shards to stop, and takes its unclaimed shards back */
  abandon: (run: Run) => Promise<void>;
}

/**
 * A run launched this recently may not hold its lease yet (control writes the run, then
 * leases it): only older ones without a lease are orphans.
 */
const UNLEASED_GRACE_MS = 60_000;

/**
 * Finds runs no live control coordinates (their control crashed, restarted, or stopped
 * mid-run) and takes each over: a waiting run goes on waiting until its deadline, a running
 * one goes on running, one whose shards all ended settles; a queued one is launched again.
 * Run at start and then every few seconds: a control killed and restarted within its lease
 * (10 s) leaves runs whose lease expires only later, and a standby takes over this way.
 * Each run is taken with its lease first, so two controls never coordinate the same run. A
 * run nothing was written to go on from is settled from what ClickHouse holds, its agents
 * told to stop and its unclaimed shards withdrawn, so nothing stays active forever.
 */
export async function recoverOrphanedRuns(
  metadata: MetadataStore,
  store: ResultStore,
  log: (line: string) => void,
  sweep: OrphanSweep,
): Promise<string[]> {
  const recovered: string[] = [];
  const active = new Set(sweep.active());
  for (const run of await metadata.listOrphanedRuns()) {
    if (active.has(run.id)) continue;
    if (run.leaseUntil === null && Date.now() - run.createdAt.getTime() < UNLEASED_GRACE_MS) {
      continue;
    }
    try {
      const taken = await metadata.acquireRunLease({
        runId: run.id,
        coordinator: sweep.coordinatorId,
        ttlMs: 30_000,
      });
      if (!taken) continue;
      recovered.push(run.id);
      if (await sweep.adopt(run)) continue;
      await sweep.abandon(run);
      await settleFromStore(metadata, store, run);
      log(
        `run ${run.id}: its control went away while it was ${run.status}; settled from stored results`,
      );
    } catch (error) {
      log(`run ${run.id}: could not take it over: ${(error as Error).message}`);
    }
  }
  return recovered;
}

/** Sweeps for orphaned runs now and every few seconds, one sweep at a time. */
export class OrphanSweeper {
  readonly #metadata: MetadataStore;
  readonly #store: ResultStore;
  readonly #log: (line: string) => void;
  readonly #options: OrphanSweep;
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<string[]> | undefined;

  constructor(
    metadata: MetadataStore,
    store: ResultStore,
    log: (line: string) => void,
    options: OrphanSweep,
  ) {
    this.#metadata = metadata;
    this.#store = store;
    this.#log = log;
    this.#options = options;
  }

  /** One sweep (joining the one under way, if any): the runs it took over or settled. */
  sweep(): Promise<string[]> {
    this.#current ??= recoverOrphanedRuns(
      this.#metadata,
      this.#store,
      this.#log,
      this.#options,
    ).finally(() => {
      this.#current = undefined;
    });
    return this.#current;
  }

  start(everyMs: number): void {
    this.#timer = setInterval(() => {
      this.sweep().catch((error: Error) => this.#log(`orphaned runs: ${error.message}`));
    }, everyMs);
  }

  /** Stops sweeping, once the sweep under way (if any) is done. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#current?.catch(() => []);
  }
}

async function settleFromStore(
  metadata: MetadataStore,
  store: ResultStore,
  run: Run,
): Promise<void> {
  const outcome = run.status === 'running' ? 'aborted' : 'error';
  const reason =
    run.status === 'running'
      ? 'control restarted during the run (or died); its agents were stopped; delivered results kept'
      : 'control restarted (or died) before the run started; its shards were withdrawn';
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
      ? { achievedMixNote: 'no results were stored before its control went away' }
      : {}),
    abortReason: reason,
  });
  await storeSettlement(metadata, run.id, {
    status: summary.status,
    summary,
    abortReason: reason,
  });
}
