import { z } from 'zod';

/** CPU-seconds per request of each service, as measured in one run. */
export const CostRun = z.object({
  run: z.string(),
  cpuSecondsPerRequest: z.record(z.string(), z.number().positive()),
});
export type CostRun = z.infer<typeof CostRun>;

export const CostDrift = z.object({
  service: z.string(),
  baselineRun: z.string(),
  baseline: z.number(),
  latestRun: z.string(),
  latest: z.number(),
  /** latest / baseline − 1. */
  change: z.number(),
  drifted: z.boolean(),
  /** Multiply the capacity measured at the baseline by this: baseline/latest when drifted, else 1. */
  capacityFactor: z.number(),
  warning: z.string().optional(),
});
export type CostDrift = z.infer<typeof CostDrift>;

/**
 * Cost drift across runs given oldest first: each service's latest cost against its first
 * (the run its capacity is taken to have been measured in). Comparing with the first rather
 * than the previous run catches a cost that creeps up a few percent per release. A rise
 * beyond `margin` (default 10 %) warns, and the plan derates the capacity by the latest,
 * worse, cost; a fall is not trusted to raise capacity until it is measured by a ramp.
 */
export function costDrift(
  runs: readonly CostRun[],
  options: { margin?: number } = {},
): Record<string, CostDrift> {
  const margin = options.margin ?? 0.1;
  const services = [...new Set(runs.flatMap((r) => Object.keys(r.cpuSecondsPerRequest)))].sort();
  const drift = services.map((service): [string, CostDrift] => {
    const seen = runs.filter((r) => r.cpuSecondsPerRequest[service] !== undefined);
    const first = seen[0]!;
    const last = seen.at(-1)!;
    const baseline = first.cpuSecondsPerRequest[service]!;
    const latest = last.cpuSecondsPerRequest[service]!;
    const change = latest / baseline - 1;
    const drifted = change > margin;
    const base = {
      service,
      baselineRun: first.run,
      baseline,
      latestRun: last.run,
      latest,
      change,
      drifted,
      capacityFactor: drifted ? baseline / latest : 1,
    };
    if (!drifted) return [service, base];
    const warning = `${service}: CPU per request rose ${(change * 100).toFixed(1)}% from run ${first.run} to ${last.run} (margin ${(margin * 100).toFixed(0)}%); planning with the latest cost`;
    return [service, { ...base, warning }];
  });
  return Object.fromEntries(drift);
}
