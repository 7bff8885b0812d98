import { StatusClass, Totals } from '@loadline/api';
import { z } from 'zod';

export { Counters, LatencySummary, TimeSeriesPoint, Totals } from '@loadline/api';

/** Run ids as control makes them (`run_01JD…`, `local_…`): plain, at most 128 characters. */
export const RunId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'run id: letters, digits and . _ : - (max 128)');
export type RunId = z.infer<typeof RunId>;

/** Agent ids and step names are free text, bound as parameters; only sanity limits. */
export const AgentId = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\0]*$/, 'no NUL characters');
export const StepName = z
  .string()
  .max(256)
  .regex(/^[^\0]*$/, 'no NUL characters');

const EpochSecond = z.number().int().nonnegative().max(4_294_967_295);

/**
 * Which interval rows a query covers. Lists are allow-lists (an empty list matches
 * nothing); the window is half-open: fromSecond ≤ second < toSecond (epoch seconds).
 */
export const IntervalFilter = z.object({
  steps: z.array(StepName).optional(),
  agents: z.array(AgentId).optional(),
  statusClasses: z.array(StatusClass).optional(),
  fromSecond: EpochSecond.optional(),
  toSecond: EpochSecond.optional(),
});
export type IntervalFilter = z.infer<typeof IntervalFilter>;

export const TimeSeriesOptions = z.object({
  step: StepName.optional(),
  agent: AgentId.optional(),
  statusClasses: z.array(StatusClass).optional(),
  fromSecond: EpochSecond.optional(),
  toSecond: EpochSecond.optional(),
  /** 'second' (default) merges raw rows; 'minute' reads the per-minute rollups (fast). */
  resolution: z.enum(['second', 'minute']).default('second'),
});
export type TimeSeriesOptions = z.input<typeof TimeSeriesOptions>;

export const StepSummary = Totals.extend({ step: z.string() });
export type StepSummary = z.infer<typeof StepSummary>;

export const AgentSummary = z.object({
  agentId: z.string(),
  requests: z.coerce.number(),
  errors: z.coerce.number(),
  firstSecond: z.coerce.number(),
  lastSecond: z.coerce.number(),
});
export type AgentSummary = z.infer<typeof AgentSummary>;
