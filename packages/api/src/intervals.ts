import { z } from 'zod';

/**
 * Responses are kept apart by status class so that "latency of successful requests"
 * and "latency of errors" never blur: a fast 503 must not improve the p99.
 */
// 'none' marks a row that carries only run-level counters (late, dropped) and no responses.
export const StatusClass = z.enum(['1xx', '2xx', '3xx', '4xx', '5xx', 'error', 'none']);
export type StatusClass = z.infer<typeof StatusClass>;

export function statusClassOf(statusCode: number | undefined): StatusClass {
  if (statusCode === undefined || statusCode < 100 || statusCode > 599) return 'error';
  return `${Math.floor(statusCode / 100)}xx` as StatusClass;
}

/**
 * One row of results: what one agent measured for one step and status class in one
 * second. This is the unit agents push, control ingests and ClickHouse stores; every
 * aggregate (per run, step, agent, window) is a merge of these rows' histograms.
 */
export const IntervalRow = z.object({
  runId: z.string().min(1),
  agentId: z.string().min(1),
  /** the step name, or "" for run-level counters that belong to no step */
  step: z.string(),
  statusClass: StatusClass,
  /** epoch second the interval starts at */
  second: z.number().int().nonnegative(),
  requests: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  checks: z.number().int().nonnegative().default(0),
  checksFailed: z.number().int().nonnegative().default(0),
  /** open model: arrivals sent later than intended, and not sent at all */
  late: z.number().int().nonnegative().default(0),
  dropped: z.number().int().nonnegative().default(0),
  /** latency histogram (µs) in HdrHistogram compressed base64 form; "" when empty */
  histogram: z.string(),
});
export type IntervalRow = z.infer<typeof IntervalRow>;
