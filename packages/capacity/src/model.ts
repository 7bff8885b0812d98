import { z } from 'zod';
import { MachineCapacity, RampPoint } from './capacity.js';
import { CostRun } from './drift.js';
import { FanoutFit } from './fanout.js';
import { LinearFit } from './linear.js';
import { Slo } from './slo.js';
import { UslPoint } from './usl-model.js';

/**
 * The fitted USL curve with the points it was fitted to, kept even when the curve has no peak
 * (and so no `limits.usl` in the capacity): a report draws the curve over the measurements.
 */
export const UslCurve = z.object({
  sigma: z.number(),
  kappa: z.number(),
  lambda: z.number(),
  r2: z.number(),
  /** Concurrency (measured, or by Little's law) against QPS, one per ramp level. */
  points: z.array(UslPoint),
});
export type UslCurve = z.infer<typeof UslCurve>;

export const ServiceModel = z.object({
  service: z.string().min(1),
  cores: z.number().int().positive(),
  slo: Slo,
  capacity: MachineCapacity,
  /** The single-machine ramp as measured, lowest load first. */
  ramp: z.array(RampPoint).min(1),
  /** Null with fewer than 3 distinct concurrency levels: no curve can be fitted. */
  usl: UslCurve.nullable(),
  /** CPU (0..1) against QPS; the slope × cores is the CPU-seconds per request. */
  cpu: LinearFit.nullable(),
});
export type ServiceModel = z.infer<typeof ServiceModel>;

export const Provenance = z.object({
  /** Runs whose measurements the model holds: the ramp's run first, then later cost runs. */
  runs: z.array(z.string()).min(1),
  /** Where the measurements were read from (a file path, or `runs` once control scrapes). */
  source: z.string(),
  createdAt: z.iso.datetime(),
});
export type Provenance = z.infer<typeof Provenance>;

/**
 * What `loadline capacity fit` writes and `loadline capacity plan` reads: everything the plan
 * needs (capacities, fan-out ratios, cost history) plus what a reader needs to check it (the
 * curves' parameters over the points they were fitted to). Versioned, because model files
 * outlive the code that wrote them.
 */
export const CapacityModel = z
  .object({
    version: z.literal(1),
    provenance: Provenance,
    services: z.array(ServiceModel),
    fanout: FanoutFit,
    /**
     * CPU-seconds per request by run, oldest (the ramp's run) first: `costDrift` compares the
     * latest with it and the plan derates capacities that have drifted.
     */
    costHistory: z.array(CostRun),
  })
  .superRefine((model, ctx) => {
    // A hand-edited file could plan one service with another's capacity, or twice.
    const seen = new Set<string>();
    model.services.forEach((s, i) => {
      if (s.capacity.service !== s.service) {
        ctx.addIssue({
          code: 'custom',
          path: ['services', i, 'capacity', 'service'],
          message: `is "${s.capacity.service}" but the service is "${s.service}"`,
        });
      }
      if (seen.has(s.service)) {
        ctx.addIssue({
          code: 'custom',
          path: ['services', i, 'service'],
          message: `"${s.service}" appears twice`,
        });
      }
      seen.add(s.service);
    });
  });
export type CapacityModel = z.infer<typeof CapacityModel>;
