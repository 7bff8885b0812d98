import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import { z } from 'zod';
import { CapacityRange, MachineCapacity } from './capacity.js';
import { CostDrift } from './drift.js';
import { FanoutFit } from './fanout.js';
import { DEFAULT_CAPACITY_QUANTILE, Forecast, servingMachines, sparesFor } from './forecast.js';
import { EXTRAPOLATION_FACTOR } from './knee.js';
import { type PlannedService, WhatIfs, whatIfs } from './whatif.js';

export const PlanInput = z.object({
  forecast: Forecast,
  ratios: FanoutFit,
  capacities: z.array(MachineCapacity),
  /** From `costDrift`: a drifted service's capacity is derated by its latest cost. */
  drift: z.record(z.string(), CostDrift).optional(),
});
export type PlanInput = z.infer<typeof PlanInput>;

export const ServicePlan = z.object({
  service: z.string(),
  /** Σ ratio × forecast over entry kinds. */
  requiredQps: z.number(),
  /**
   * Per-machine capacity planned with, after any cost-drift derating: the forecast's
   * conservative quantile of its range (the point where no range is known); null if none is usable.
   */
  capacityQps: z.number().nullable(),
  /** The capacity's median (its point estimate), derated alike. */
  medianCapacityQps: z.number().nullable(),
  /** Where the capacity lies (before derating), when known. */
  capacityRange: CapacityRange.nullable(),
  /**
   * What runs out first on a machine (the capacity's `resource`: `CPU`, `p99 latency`, a
   * saturation gauge such as `db_pool`); null for a lower bound or an older model file.
   */
  bindingResource: z.string().nullable().default(null),
  /** The quantile planned at. */
  quantile: z.number(),
  spares: z.number().int(),
  /** ceil(required ÷ (capacity × utilisation)) + spares; null when it cannot be computed. */
  machines: z.number().int().nullable(),
  /** The same at the median capacity: what a plan without the margin would ask for. */
  medianMachines: z.number().int().nullable(),
  /** How far the forecast can grow before the service, its spares lost, passes the target utilisation. */
  headroom: z.number().nullable(),
  /** What could not be satisfied; any entry makes the plan unmet. */
  unmet: z.array(z.string()),
  warnings: z.array(z.string()),
});
export type ServicePlan = z.infer<typeof ServicePlan>;

export const Unmet = z.object({ service: z.string().nullable(), reason: z.string() });
export type Unmet = z.infer<typeof Unmet>;

export const Plan = z.object({
  services: z.array(ServicePlan),
  totalMachines: z.number().int(),
  /** The service with the least headroom: the first to run out as load grows. */
  bottleneck: z.object({ service: z.string(), headroom: z.number() }).nullable(),
  whatIf: WhatIfs,
  unmet: z.array(Unmet),
});
export type Plan = z.infer<typeof Plan>;

/**
 * The machine plan: for each service, the machines that carry the forecast at the target
 * utilisation plus its spares. Like Auxon, it lists whatever could not be satisfied instead of
 * presenting a number as firmer than its inputs: refused ratios, capacities that are only lower
 * bounds or extrapolated, services missing a ratio or a capacity.
 */
export function planCapacity(input: z.input<typeof PlanInput>): Plan {
  const { forecast, ratios, capacities, drift } = PlanInput.parse(input);
  const unmet: Unmet[] = Object.keys(forecast.entries)
    .filter((kind) => !ratios.entryKinds.includes(kind))
    .map((kind) => ({
      service: null,
      reason: `entry kind ${kind} is forecast but has no fan-out ratios: its load on services is unknown`,
    }));
  const byService = new Map(capacities.map((c) => [c.service, c]));
  const names = [...new Set([...Object.keys(ratios.services), ...byService.keys()])].sort();
  const planned = names.map((service) =>
    planService(service, forecast, ratios, byService.get(service), drift?.[service]),
  );
  const services = planned.map((p) => p.plan);
  for (const s of services)
    unmet.push(...s.unmet.map((reason) => ({ service: s.service, reason })));
  const ranked = services
    .filter((s) => s.headroom !== null)
    .sort((a, b) => a.headroom! - b.headroom!);
  return {
    services,
    totalMachines: services.reduce((n, s) => n + (s.machines ?? 0), 0),
    bottleneck: ranked[0] ? { service: ranked[0].service, headroom: ranked[0].headroom! } : null,
    whatIf: whatIfs(planned, forecast),
    unmet,
  };
}

function planService(
  service: string,
  forecast: Forecast,
  ratios: FanoutFit,
  capacity: MachineCapacity | undefined,
  drift: CostDrift | undefined,
): PlannedService {
  const unmet: string[] = [];
  const warnings: string[] = [];
  const fanout = ratios.services[service];
  const requiredQps = Object.entries(forecast.entries).reduce(
    (sum, [kind, qps]) => sum + (fanout?.ratios[kind] ?? 0) * qps,
    0,
  );
  if (!fanout) unmet.push('no fan-out ratios: its required load is unknown');
  else if (fanout.refused) unmet.push(`fan-out ratios refused: ${fanout.reason}`);

  const quantile = forecast.capacityQuantile ?? DEFAULT_CAPACITY_QUANTILE;
  let capacityQps: number | null = null;
  let medianCapacityQps: number | null = null;
  if (!capacity) unmet.push('no per-machine capacity');
  else {
    const factor = drift?.capacityFactor ?? 1;
    capacityQps = capacityAtQuantile(capacity, quantile) * factor;
    medianCapacityQps = capacity.qps * factor;
    if (drift?.warning) warnings.push(drift.warning);
    warnings.push(...capacity.warnings);
    unmet.push(...capacity.unmet);
    if (capacity.lowerBound) {
      unmet.push(
        `capacity is a lower bound (> ${Math.round(capacity.qps)} QPS per machine; the SLO was never breached): the machine count is an upper bound`,
      );
    }
    // Limits beyond the data only warn; the number planned with must not be one of them.
    if (capacity.qps > EXTRAPOLATION_FACTOR * capacity.maxMeasuredQps) {
      unmet.push(
        `capacity ${Math.round(capacity.qps)} QPS is extrapolated beyond ${EXTRAPOLATION_FACTOR}× the highest load measured (${capacity.maxMeasuredQps} QPS)`,
      );
    }
    if (!(medianCapacityQps > 0)) {
      unmet.push('per-machine capacity is 0: the SLO was breached at the lowest load run');
      medianCapacityQps = null;
      capacityQps = null;
    } else if (!(capacityQps > 0)) {
      unmet.push(
        `per-machine capacity at its ${quantile} quantile is 0: its range is too wide to plan from; measure more levels near the limit`,
      );
      capacityQps = null;
    }
  }

  const spares = sparesFor(forecast.redundancy, service);
  const usable = fanout !== undefined && !fanout.refused && capacityQps !== null;
  const perMachine = usable ? capacityQps! * forecast.utilisation : null;
  const serving = perMachine === null ? null : servingMachines(requiredQps, perMachine);
  const medianServing =
    usable && medianCapacityQps !== null
      ? servingMachines(requiredQps, medianCapacityQps * forecast.utilisation)
      : null;
  const headroom =
    perMachine !== null && serving !== null && requiredQps > 0
      ? (serving * perMachine) / requiredQps - 1
      : null;
  return {
    plan: {
      service,
      requiredQps,
      capacityQps,
      medianCapacityQps,
      capacityRange: capacity?.range ?? null,
      bindingResource: capacity?.resource ?? null,
      quantile,
      spares,
      machines: serving === null ? null : serving + spares,
      medianMachines: medianServing === null ? null : medianServing + spares,
      headroom,
      unmet,
      warnings,
    },
    perMachine,
  };
}

/**
 * A machine's capacity at quantile `q` of its range: a bracket is taken as linear from its
 * low end (q = 0) through the interpolated point (the median) to its high end (q = 1); an
 * interval as normal around the point with its standard error. No range: the point.
 */
export function capacityAtQuantile(capacity: MachineCapacity, q: number): number {
  const range = capacity.range;
  if (!range) return capacity.qps;
  if (range.basis === 'bracket') {
    return q <= 0.5
      ? range.low + (q / 0.5) * (capacity.qps - range.low)
      : capacity.qps + ((q - 0.5) / 0.5) * (range.high - capacity.qps);
  }
  return Math.max(0, capacity.qps + normalQuantile(q, 0, 1) * (range.standardError ?? 0));
}
