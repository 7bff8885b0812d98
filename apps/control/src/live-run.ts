import type { IntervalRow } from '@loadline/api';
import {
  evaluateThresholds,
  type GeneratorJudge,
  type GuardrailMonitor,
  type StepTable,
  stepTableSource,
  type ThresholdResult,
} from '@loadline/engine';
import type { Run } from '@loadline/metadata';
import type { TargetMetricRow, TargetScraper } from '@loadline/metrics';
import type { CapacityProbe, Scenario } from '@loadline/scenario';
import type { LiveK6 } from './k6-run.js';
import type { LiveSeries } from './live-series.js';
import type { SecondWindow } from './live-table.js';
import type { RateStep, RunTarget } from './shard-plan.js';

/** What this control holds about a run it coordinates, between its seconds. */
export interface LiveRun {
  run: Run;
  target: RunTarget;
  scenario: Scenario;
  shardCount: number;
  claims: Map<number, string>;
  done: Map<number, { aborted: boolean; reason?: string }>;
  lost: Set<number>;
  /** per agent: requests counted and the last second seen (written to run_shards each tick) */
  progress: Map<string, { requests: number; lastSecond: number; changed: boolean }>;
  /** while a run taken over reads its stored rows: rows arriving meanwhile wait here */
  rebuilding?: IntervalRow[] | undefined;
  /** a run taken over: keys of recent rows already stored, skipped if delivered again */
  storedBefore?: { keys: Set<string>; until: number } | undefined;
  phase: 'waiting' | 'running' | 'finishing';
  waitingSince: number;
  startAt: number;
  durationMs: number;
  /** an open-model run's rate is its profile's times this, from the last change on */
  rateMultiplier: number;
  /** the live rate changes so far, oldest first (the target line follows them) */
  rateChanges: RateStep[];
  totals: StepTable;
  window: SecondWindow;
  /** the newest seconds per run, step and agent, for live views */
  series: LiveSeries;
  guardrails: GuardrailMonitor;
  /** each agent's own saturation, second by second */
  generators: GeneratorJudge;
  scraper: TargetScraper | undefined;
  /** when the capacity probe's SLO started to hold broken (undefined while it holds) */
  probeBreachSince?: number | undefined;
  abortReason: string | undefined;
  timer: NodeJS.Timeout;
  /** a tick is under way (the next one waits its turn) */
  ticking: boolean;
  /** when the shards' progress was last written (ms) */
  progressWrittenAt: number;
  /** a k6 script's run: its judge, every agent's metrics, its shards' endings */
  k6: LiveK6 | undefined;
}

function stepsOfFlow(scenario: Scenario): Record<string, string[]> {
  return Object.fromEntries(scenario.flows.map((f) => [f.name, f.steps.map((s) => s.name)]));
}

/**
 * Guardrails on each second once it is 2 s old (agents rotate independently): the first
 * trip's abort reason, or undefined while every guardrail holds.
 */
export function judgeGuardrails(live: LiveRun, nowMs: number): string | undefined {
  const settled = live.window.takeSettled(Math.floor(nowMs / 1000) - 2);
  const steps = stepsOfFlow(live.scenario);
  let reason: string | undefined;
  for (const [second, table] of settled) {
    const trip = live.guardrails.observe(
      stepTableSource(table, steps, 1),
      (second + 1) * 1000,
      1000,
    );
    if (trip) reason ??= `guardrail: ${trip.guardrail} (value ${trip.value})`;
  }
  return reason;
}

/** Shards whose agent's heartbeat expired mid-shard, not yet counted lost. */
export function newlyLost(live: LiveRun, alive: ReadonlySet<string>): Array<[number, string]> {
  return workingShards(live).filter(([, agentId]) => !alive.has(agentId));
}

/** Shards claimed and neither done nor lost: [shard, agent]. */
export function workingShards(live: LiveRun): Array<[number, string]> {
  return [...live.claims].filter(([shard]) => !live.done.has(shard) && !live.lost.has(shard));
}

/** Thresholds on what has been merged so far. */
export function thresholdsSoFar(live: LiveRun, nowMs: number): ThresholdResult[] {
  const elapsedS = Math.max((nowMs - live.startAt) / 1000, 1);
  return evaluateThresholds(
    live.scenario.thresholds,
    stepTableSource(live.totals, stepsOfFlow(live.scenario), elapsedS),
  );
}

/** How the probed service's readings break its SLO (none while it holds). */
export function probeBreaches(probe: CapacityProbe, rows: readonly TargetMetricRow[]): string[] {
  return rows
    .filter((r) => r.service === probe.service)
    .flatMap((r) => {
      const cpu = r.cpuSeconds < 0 ? null : r.cpuSeconds / r.intervalS / probe.cores;
      const qps = r.requests / r.intervalS;
      const out: string[] = [];
      if (probe.slo.p99Ms !== undefined && r.p99Ms > probe.slo.p99Ms)
        out.push(`p99 ${r.p99Ms.toFixed(1)} ms > ${probe.slo.p99Ms} ms at ${qps.toFixed(0)} QPS`);
      if (probe.slo.cpuCeiling !== undefined && cpu !== null && cpu > probe.slo.cpuCeiling)
        out.push(
          `CPU ${(cpu * 100).toFixed(0)}% > ${probe.slo.cpuCeiling * 100}% at ${qps.toFixed(0)} QPS`,
        );
      return out;
    });
}
