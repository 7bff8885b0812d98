/**
 * A k6 script on the fleet. Each agent runs its share of every scenario and reports, every
 * second, its interval rows and its metrics so far; control merges every agent's metrics
 * (sinks add, histograms merge exactly) and judges the script's thresholds on the merge,
 * every 2 s and at the end, as k6 judges them on one machine.
 */
import type { GeneratorReading, IntervalRow, K6Metrics } from '@loadline/api';
import { MetricRegistry } from './metrics.js';
import {
  type K6Options,
  type OptionsOverrides,
  parseOptions,
  testDurationMs,
  vusOf,
} from './options.js';
import { type SummaryData, summaryData } from './summary.js';
import {
  checkThresholdTypes,
  evaluateThresholds,
  parseThresholds,
  type ThresholdSet,
  ThresholdsError,
  type ThresholdVerdict,
} from './thresholds.js';
import type { CheckCount, K6Runtime } from './vu.js';

/** An agent's part in a k6 run that control coordinates. */
export interface K6Shard {
  runId: string;
  agentId: string;
  /** this shard runs setup() (from the run's start) and teardown() (after its share) */
  runsSetup: boolean;
  /**
   * Init is done: claims the shard and resolves with control's common start (control's
   * epoch ms) and this machine's offset to control's clock. Rejects when the run will not
   * start here. Nothing is sent before it resolves.
   */
  start(): Promise<{ startAt: number; clockOffsetMs: number }>;
  /**
   * A script with setup(): after it ran here (its data as JSON), or while another shard
   * runs it, resolves with when every agent's VUs start (control's epoch ms) and the data.
   */
  vusStart(setupData: string | undefined): Promise<{ at: number; setupData: string | undefined }>;
  /** Every second of the run, and once as it ends. */
  second(report: { rows: IntervalRow[]; generator: GeneratorReading; metrics: K6Metrics }): void;
}

/** What this runner measured so far, as it travels to control. */
export function shardMetrics(runtime: K6Runtime): K6Metrics {
  const checks: K6Metrics['checks'] = [];
  for (const [group, byName] of runtime.checks) {
    for (const [name, count] of byName) checks.push([group, name, count.passes, count.fails]);
  }
  return {
    elapsedMs: runtime.elapsedMs(),
    metrics: runtime.registry.snapshot(),
    checks,
    groups: [...runtime.groups],
  };
}

/** Every agent's metrics added up: what thresholds and the summary read. */
export interface MergedMetrics {
  registry: MetricRegistry;
  checks: Map<string, Map<string, CheckCount>>;
  groups: string[];
  elapsedMs: number;
}

/**
 * Gauges that count what every agent holds: the fleet's value is the agents' sum (their
 * minimum and maximum the sums of each agent's, which bound the fleet's from outside).
 * Any other gauge keeps the last value merged, as k6 keeps the last sample.
 */
const FLEET_SUM_GAUGES: ReadonlySet<string> = new Set(['vus', 'vus_max']);

export function mergeMetrics(shards: Iterable<K6Metrics>): MergedMetrics {
  const registry = new MetricRegistry();
  const checks = new Map<string, Map<string, CheckCount>>();
  const groups: string[] = [''];
  const sums = new Map<string, { last: number; min: number; max: number }>();
  let elapsedMs = 0;
  for (const shard of shards) {
    registry.merge(shard.metrics);
    for (const { name, sink } of shard.metrics) {
      if (!FLEET_SUM_GAUGES.has(name) || sink.count === 0) continue;
      const sum = sums.get(name) ?? { last: 0, min: 0, max: 0 };
      sums.set(name, {
        last: sum.last + sink.last,
        min: sum.min + (sink.min ?? 0),
        max: sum.max + (sink.max ?? 0),
      });
    }
    for (const [group, name, passes, fails] of shard.checks) {
      const byName = checks.get(group) ?? new Map<string, CheckCount>();
      checks.set(group, byName);
      const count = byName.get(name) ?? { passes: 0, fails: 0 };
      byName.set(name, count);
      count.passes += passes;
      count.fails += fails;
    }
    for (const group of shard.groups) if (!groups.includes(group)) groups.push(group);
    elapsedMs = Math.max(elapsedMs, shard.elapsedMs);
  }
  for (const [name, sum] of sums) {
    const sink = registry.get(name)?.sink;
    if (sink) Object.assign(sink, sum);
  }
  return { registry, checks, groups, elapsedMs };
}

/**
 * Control's judge of a k6 run: the script's options (as its init returned them, read by the
 * CLI before the launch), its thresholds judged on every agent's metrics merged.
 */
export class K6FleetJudge {
  readonly options: K6Options;
  /** how long the script's scenarios may run, start times and graceful stops included */
  readonly durationMs: number;
  /** the most VUs its scenarios hold at once, all agents together */
  readonly maxVus: number;
  readonly #sets: ThresholdSet[];

  /** Throws OptionsError or ThresholdsError (k6's 104) for options that do not hold. */
  constructor(script: {
    options: Record<string, unknown>;
    overrides: OptionsOverrides;
    thresholds: boolean;
  }) {
    this.options = parseOptions(script.options, script.overrides);
    this.#sets =
      script.thresholds && this.options.thresholds !== undefined
        ? parseThresholds(this.options.thresholds)
        : [];
    this.durationMs = testDurationMs(this.options);
    this.maxVus = Object.values(this.options.scenarios).reduce((n, c) => n + vusOf(c, 'max'), 0);
  }

  get judging(): boolean {
    return this.#sets.length > 0;
  }

  /** The thresholds on what every agent measured so far (`final`: the run has ended). */
  judge(merged: MergedMetrics, final: boolean): ThresholdVerdict {
    const problems = checkThresholdTypes(this.#sets, (name) => merged.registry.typeOf(name));
    if (problems.length > 0) throw new ThresholdsError(problems);
    return evaluateThresholds(this.#sets, merged.registry, merged.elapsedMs, final);
  }

  summary(merged: MergedMetrics, verdict: ThresholdVerdict): SummaryData {
    return summaryData({
      registry: merged.registry,
      checks: merged.checks,
      groups: merged.groups,
      trendStats: this.options.summaryTrendStats,
      timeUnit: this.options.summaryTimeUnit,
      elapsedMs: merged.elapsedMs,
      outcomes: verdict.outcomes,
      thresholds: this.#sets,
    });
  }
}
