import { z } from 'zod';

/**
 * One generator (an agent, or the CLI's own engine) over one interval: how far behind its
 * own schedule it fell. A generator that cannot keep up measures itself, not the target.
 */
export const GeneratorReading = z.object({
  /** epoch second the interval starts in (the same key as its interval rows) */
  second: z.number().int().nonnegative(),
  /** requests written to a socket in the interval */
  sent: z.number().int().nonnegative(),
  /** of them, written later than intended (open model; more than 10 ms behind) */
  late: z.number().int().nonnegative(),
  /** arrivals never sent (open model: the in-flight cap was reached) */
  dropped: z.number().int().nonnegative(),
  /** event-loop delay p99 over the interval, ms */
  eventLoopDelayP99Ms: z.number().nonnegative(),
  /** CPU time of the generator's process over the interval's wall time (1 = one core) */
  cpu: z.number().nonnegative(),
  /** the interval's wall time, ms: a run's first and last are partial seconds */
  ms: z.number().nonnegative().optional(),
});
export type GeneratorReading = z.infer<typeof GeneratorReading>;

/**
 * When a generator counts as saturated: late sends above `lateShare` of what it sent, or its
 * event-loop delay p99 above `eventLoopDelayP99Ms`, on every second for `forS` seconds (or
 * for the whole of a shorter run).
 */
export const SaturationLimits = z.object({
  lateShare: z.number().min(0).max(1),
  eventLoopDelayP99Ms: z.number().positive(),
  forS: z.number().int().positive(),
});
export type SaturationLimits = z.infer<typeof SaturationLimits>;

export const DEFAULT_SATURATION_LIMITS: SaturationLimits = {
  lateShare: 0.01,
  eventLoopDelayP99Ms: 50,
  forS: 5,
};

/** A generator that could not keep up: the agent, its longest saturated stretch, how badly. */
export const GeneratorSaturation = z.object({
  agentId: z.string(),
  /** first and last epoch second of the longest saturated stretch */
  fromSecond: z.number().int(),
  toSecond: z.number().int(),
  /** seconds in that stretch */
  seconds: z.number().int().positive(),
  /** the worst second's late sends over its sends */
  lateShare: z.number().min(0),
  eventLoopDelayP99Ms: z.number().nonnegative(),
  cpu: z.number().nonnegative(),
  /** what it sent a second, on average over the stretch (late or not): its ceiling here */
  sentPerSecond: z.number().nonnegative(),
});
export type GeneratorSaturation = z.infer<typeof GeneratorSaturation>;

/** One generator's whole run, for the record. */
export const GeneratorTotals = z.object({
  agentId: z.string(),
  sent: z.number().int().nonnegative(),
  late: z.number().int().nonnegative(),
  dropped: z.number().int().nonnegative(),
  /** worst second */
  eventLoopDelayP99Ms: z.number().nonnegative(),
  /** busiest second */
  cpu: z.number().nonnegative(),
});
export type GeneratorTotals = z.infer<typeof GeneratorTotals>;

/**
 * The generators' self-check of a run: empty `saturated` when every generator kept up. A run
 * with any saturated generator is `invalid`: its figures describe the generator, not the target.
 */
export const GeneratorCheck = z.object({
  limits: SaturationLimits,
  agents: z.array(GeneratorTotals),
  saturated: z.array(GeneratorSaturation),
  /** what would fix it, e.g. how many agents the rate needs */
  hint: z.string().optional(),
});
export type GeneratorCheck = z.infer<typeof GeneratorCheck>;
