import { z } from 'zod';

// Shapes of measured results that storage computes and the API serves: one schema each,
// used by packages/store for its query results and by the control API's responses.

/** Latency in milliseconds, from a merged histogram (never averaged percentiles). */
export const LatencySummary = z.object({
  count: z.number(),
  min: z.number(),
  mean: z.number(),
  p50: z.number(),
  p90: z.number(),
  p99: z.number(),
  p999: z.number(),
  max: z.number(),
});
export type LatencySummary = z.infer<typeof LatencySummary>;

export const Counters = z.object({
  requests: z.number(),
  errors: z.number(),
  /** checks evaluated; the passing rate is (checks - checksFailed) / checks */
  checks: z.number(),
  checksFailed: z.number(),
  late: z.number(),
  dropped: z.number(),
});
export type Counters = z.infer<typeof Counters>;

export const Totals = Counters.extend({ latency: LatencySummary });
export type Totals = z.infer<typeof Totals>;

/** One point of a time series: the second (or minute) it starts at, latency in ms. */
export const TimeSeriesPoint = z.object({
  second: z.number(),
  requests: z.number(),
  errors: z.number(),
  p50: z.number(),
  p90: z.number(),
  p99: z.number(),
  max: z.number(),
  /** sends that went out later than intended, and arrivals never sent (open model) */
  late: z.number(),
  dropped: z.number(),
});
export type TimeSeriesPoint = z.infer<typeof TimeSeriesPoint>;

/** A row control scrapes from a target instance's /metrics for one second of a run. */
export const TargetMetricRow = z.strictObject({
  runId: z.string().min(1).max(128),
  service: z.string().min(1).max(200),
  instance: z.string().min(1).max(2000),
  second: z.number().int().nonnegative().max(4_294_967_295),
  intervalS: z.number().positive(),
  requests: z.number().min(0),
  /** -1: the instance exposes no CPU counter */
  cpuSeconds: z.number().min(-1),
  /** -1: no requests in the interval */
  p50Ms: z.number().min(-1),
  p99Ms: z.number().min(-1),
  /**
   * Seconds spent serving the requests that completed in the interval (the increase of the
   * duration histogram's `_sum`). By Little's law busySeconds ÷ intervalS is the instance's
   * mean concurrency (requests in flight) over it: the N the USL is fitted against. -1: the
   * histogram has no `_sum`; absent in rows stored before it was scraped.
   */
  busySeconds: z.number().min(-1).optional(),
  /**
   * Each saturation gauge the target lists, as a share of its ceiling at the reading (1: at
   * the ceiling); a gauge the instance did not expose is left out.
   */
  gauges: z.record(z.string(), z.number()).optional(),
});
export type TargetMetricRow = z.infer<typeof TargetMetricRow>;
