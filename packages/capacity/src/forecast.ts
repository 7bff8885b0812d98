import { z } from 'zod';

const Spares = z.number().int().nonnegative();

/** Spare machines per service (N+k): `default` for every service, overridden by name. */
export const Redundancy = z.object({ default: Spares }).catchall(Spares);
export type Redundancy = z.infer<typeof Redundancy>;

/**
 * What the plan must carry, as written in YAML by the caller:
 * `entries: { order: 2000, view: 15000 }`, `utilisation: 0.6`,
 * `redundancy: { default: 2, payment: 3 }`, `zones: 3`.
 */
export const Forecast = z.object({
  /** Peak entry requests per second, by entry kind. */
  entries: z.record(z.string(), z.number().nonnegative()),
  /** Fraction of per-machine capacity a machine is planned to run at, (0, 1]. */
  utilisation: z.number().gt(0).max(1),
  redundancy: Redundancy,
  /** Zones the machines are spread over evenly, for the one-zone-down what-if. */
  zones: z.number().int().positive().optional(),
  /**
   * Machines are planned at this quantile of each per-machine capacity (where its range is
   * known), the median's count shown beside: 0.1 plans for a capacity 90 % likely to hold.
   */
  capacityQuantile: z.number().gt(0).max(0.5).optional(),
});
export type Forecast = z.infer<typeof Forecast>;

/** The quantile machines are planned at unless a forecast says otherwise. */
export const DEFAULT_CAPACITY_QUANTILE = 0.1;

export function sparesFor(redundancy: Redundancy, service: string): number {
  return redundancy[service] ?? redundancy.default;
}

/**
 * Machines serving `required` QPS at `perMachine` QPS each, rounded up. The tolerance keeps
 * an exact fit (20 000 at 5 000 × 0.8 = 4 000) from becoming 6 through rounding error.
 */
export function servingMachines(required: number, perMachine: number): number {
  return Math.max(0, Math.ceil(required / perMachine - 1e-9));
}
