import { z } from 'zod';
import { GeneratorCheck } from './generator.js';
import { RunStatus } from './runs.js';

/** Latency figures of a report, in ms, from a merged histogram. */
export const ReportLatency = z.object({
  p50: z.number(),
  p90: z.number(),
  p99: z.number(),
  p999: z.number(),
  max: z.number(),
});
export type ReportLatency = z.infer<typeof ReportLatency>;

export const TotalResult = z.object({
  requests: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  latencyMs: ReportLatency,
});
export type TotalResult = z.infer<typeof TotalResult>;

export const StepResult = TotalResult.extend({
  checksFailed: z.number().int().nonnegative(),
});
export type StepResult = z.infer<typeof StepResult>;

export const ThresholdResult = z.object({
  /** `latency{step:detail}: p(99)<300` */
  expression: z.string(),
  passed: z.boolean(),
  /** the measured value (ms for latency), or null when there was no data */
  value: z.number().nullable(),
  /** true when a saturated generator measured it (an invalid run): shown, not to be trusted */
  untrustworthy: z.boolean().optional(),
});
export type ThresholdResult = z.infer<typeof ThresholdResult>;

export const IterationCounts = z.object({
  started: z.number().int().nonnegative(),
  completed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
});
export type IterationCounts = z.infer<typeof IterationCounts>;

/** How a k6 script's run ended, judged by control on every agent's merged metrics. */
export const K6Outcome = z.object({
  /** k6's exit code: 0, 99 thresholds, 104, 105, 107, 108, 110 (and 5: a saturated runner) */
  exitCode: z.number().int(),
  reason: z.string().optional(),
  /** k6's end-of-test summary data (the shape handleSummary receives) */
  summary: z.record(z.string(), z.unknown()),
});
export type K6Outcome = z.infer<typeof K6Outcome>;

/**
 * A run's result: `loadline run --json`, the stored summary of a fleet run and the JSON
 * report are this one shape. Field names are a stable interface: add, never rename.
 */
export const RunSummary = z.object({
  runId: z.string(),
  status: RunStatus,
  /**
   * True exactly when `status` is `passed`: the run completed and every threshold held. A
   * degraded run (an agent lost on the way) does not pass even when its thresholds held,
   * and failed, aborted, invalid and error runs never pass.
   */
  passed: z.boolean(),
  durationS: z.number().nonnegative(),
  agents: z.number().int().nonnegative(),
  intendedMix: z.record(z.string(), z.number()),
  achievedMix: z.record(z.string(), z.number()),
  /** why the achieved mix is missing (e.g. nothing was stored), when it is */
  achievedMixNote: z.string().optional(),
  total: TotalResult,
  steps: z.record(z.string(), StepResult),
  late: z.number().int().nonnegative(),
  dropped: z.number().int().nonnegative(),
  thresholds: z.array(ThresholdResult),
  scenario: z.string(),
  iterations: IterationCounts.optional(),
  abortReason: z.string().optional(),
  /** the generators' self-check (absent from results stored before it existed) */
  generator: GeneratorCheck.optional(),
  /** a k6 script's run: k6's exit code and summary */
  k6: K6Outcome.optional(),
});
export type RunSummary = z.infer<typeof RunSummary>;

/**
 * A summary as stored: what older versions wrote may lack fields added since (the run's id
 * and scenario, the mixes, late and dropped) or carry a negative duration (a run stopped
 * before its start instant); they read back with defaults, through this one schema.
 */
const StoredRunSummary = RunSummary.extend({
  runId: z.string().optional(),
  scenario: z.string().optional(),
  durationS: z.number().transform((s) => Math.max(0, s)),
  intendedMix: RunSummary.shape.intendedMix.default({}),
  achievedMix: RunSummary.shape.achievedMix.default({}),
  late: RunSummary.shape.late.default(0),
  dropped: RunSummary.shape.dropped.default(0),
});

/** Reads a run's stored summary (jsonb) back as a RunSummary. */
export function storedRunSummary(json: unknown, run: { id: string; scenario: string }): RunSummary {
  const stored = StoredRunSummary.parse(json);
  return { ...stored, runId: stored.runId ?? run.id, scenario: stored.scenario ?? run.scenario };
}
