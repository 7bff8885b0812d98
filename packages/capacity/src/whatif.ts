import { z } from 'zod';
import { type Forecast, servingMachines } from './forecast.js';
import type { ServicePlan } from './plan.js';

/** A service's plan plus the QPS one machine carries at the target utilisation. */
export interface PlannedService {
  plan: ServicePlan;
  perMachine: number | null;
}

export const GROWTH_FACTOR = 1.5;

export const WhatIfs = z.object({
  growth: z.object({
    factor: z.number(),
    services: z.array(z.object({ service: z.string(), machines: z.number().int().nullable() })),
    totalMachines: z.number().int(),
  }),
  /** Null unless the forecast names its zones. */
  zoneDown: z
    .object({
      zones: z.number().int(),
      services: z.array(
        z.object({
          service: z.string(),
          /** Machines (a multiple of the zone count) whose other zones carry the load. */
          machines: z.number().int().nullable(),
          /** Whether the planned machines, spread evenly, survive losing their largest zone. */
          survives: z.boolean(),
        }),
      ),
      survives: z.boolean(),
    })
    .nullable(),
});
export type WhatIfs = z.infer<typeof WhatIfs>;

/**
 * Two what-ifs on a plan: the forecast × 1.5, and one zone down, where the remaining zones'
 * machines must carry the whole load at the target utilisation (spares are what zone outages
 * take first, so they are not counted on).
 */
export function whatIfs(planned: readonly PlannedService[], forecast: Forecast): WhatIfs {
  const growthServices = planned.map(({ plan, perMachine }) => ({
    service: plan.service,
    machines:
      perMachine === null
        ? null
        : servingMachines(plan.requiredQps * GROWTH_FACTOR, perMachine) + plan.spares,
  }));
  return {
    growth: {
      factor: GROWTH_FACTOR,
      services: growthServices,
      totalMachines: growthServices.reduce((n, s) => n + (s.machines ?? 0), 0),
    },
    zoneDown: forecast.zones === undefined ? null : zoneDown(planned, forecast.zones),
  };
}

function zoneDown(planned: readonly PlannedService[], zones: number): WhatIfs['zoneDown'] {
  const services = planned.map(({ plan, perMachine }) => {
    if (perMachine === null || plan.machines === null || zones < 2) {
      return { service: plan.service, machines: null, survives: false };
    }
    const serving = servingMachines(plan.requiredQps, perMachine);
    const perZone = Math.ceil(serving / (zones - 1));
    const left = plan.machines - Math.ceil(plan.machines / zones);
    return { service: plan.service, machines: perZone * zones, survives: left >= serving };
  });
  return { zones, services, survives: services.every((s) => s.survives) };
}
