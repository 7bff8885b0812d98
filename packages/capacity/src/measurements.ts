import { z } from 'zod';
import { RampPoint } from './capacity.js';
import { CostRun } from './drift.js';
import { FanoutSecond } from './fanout.js';
import { Slo } from './slo.js';

/** One service measured alone on one machine: the ramp, lowest load first. */
export const ServiceMeasurements = z.strictObject({
  cores: z.number().int().positive(),
  slo: Slo,
  ramp: z.array(RampPoint).min(1),
});
export type ServiceMeasurements = z.infer<typeof ServiceMeasurements>;

/**
 * The input of `loadline capacity fit --from FILE`, as JSON:
 * `{ run?, services: { cart: { cores, slo: { p99Ms }, ramp: [{ qps, p99Ms, cpu }] } },
 *    fanout: [{ entries: { order, view }, calls: { cart } }], costs? }`.
 * Strict, so a misspelt key is an error instead of a silently missing measurement.
 */
export const Measurements = z.strictObject({
  /** The run the ramps and fan-out seconds were measured in (default: the file's name). */
  run: z.string().min(1).optional(),
  services: z.record(z.string().min(1), ServiceMeasurements),
  /** One sample per second of a mixed-traffic test. */
  fanout: z.array(FanoutSecond),
  /**
   * CPU-seconds per request measured in later runs (regression tests without a ramp), oldest
   * first: the plan derates a capacity whose cost has drifted above this run's.
   */
  costs: z.array(CostRun).optional(),
});
export type Measurements = z.infer<typeof Measurements>;
