import { costDrift } from './drift.js';
import type { Forecast } from './forecast.js';
import type { CapacityModel } from './model.js';
import { type Plan, planCapacity } from './plan.js';

/**
 * The machine plan for `forecast` from a model: its capacities and fan-out ratios, with any
 * capacity derated whose cost per request has drifted up since the ramp's run.
 */
export function planFromModel(model: CapacityModel, forecast: Forecast): Plan {
  return planCapacity({
    forecast,
    ratios: model.fanout,
    capacities: model.services.map((s) => s.capacity),
    drift: model.costHistory.length > 1 ? costDrift(model.costHistory) : undefined,
  });
}
