import { z } from 'zod';

export const Slo = z
  .object({
    /** p99 latency objective in milliseconds. */
    p99Ms: z.number().positive().optional(),
    /** Highest CPU utilisation (0..1] allowed. */
    cpuCeiling: z.number().gt(0).max(1).optional(),
  })
  .refine((slo) => slo.p99Ms !== undefined || slo.cpuCeiling !== undefined, {
    message: 'an SLO needs p99Ms, cpuCeiling or both',
  });
export type Slo = z.infer<typeof Slo>;

export const SloLimit = z.object({
  /** Breached: the interpolated QPS at the first breach. Not breached: the highest QPS run. */
  qps: z.number(),
  breached: z.boolean(),
  by: z.enum(['p99', 'cpu']).nullable(),
  /** Breached: the QPS of the last level that held and of the first that broke (0 before the first). */
  between: z.tuple([z.number(), z.number()]).optional(),
});
export type SloLimit = z.infer<typeof SloLimit>;

interface Measured {
  qps: number;
  p99Ms: number;
  cpu: number;
  warmUp?: boolean | undefined;
}

/**
 * The largest load that meets the SLO: walking up the ramp (points in the order the load was
 * raised; past a USL peak QPS falls while load still rises, so QPS order would scramble it),
 * the first level that breaches, and whose next level breaches too, ends it; the limit is
 * interpolated between that level and the one before. One breaching level between two that
 * held is noise (a GC pause, a neighbour's burst), not the redline; the top level counts on
 * its own, having no next. A warm-up level never breaches. A later level that meets the SLO again after a held breach is
 * noise too, not headroom.
 */
export function sloLimit(points: readonly Measured[], slo: Slo): SloLimit {
  const metrics = [
    { by: 'p99' as const, limit: slo.p99Ms, value: (p: Measured) => p.p99Ms },
    { by: 'cpu' as const, limit: slo.cpuCeiling, value: (p: Measured) => p.cpu },
  ].filter((m): m is typeof m & { limit: number } => m.limit !== undefined);
  const breaches = (p: Measured | undefined) =>
    p === undefined || (!p.warmUp && metrics.some((m) => m.value(p) > m.limit));
  const first = points.findIndex((p, i) => breaches(p) && breaches(points[i + 1]));
  if (first < 0)
    return { qps: Math.max(0, ...points.map((p) => p.qps)), breached: false, by: null };
  const cur = points[first]!;
  const prev = points[first - 1];
  const crossings = metrics
    .filter((m) => m.value(cur) > m.limit)
    .map((m) => {
      // Breached at the lowest level run: nothing is known to meet the SLO.
      if (prev === undefined) return { by: m.by, qps: 0 };
      const fraction = (m.limit - m.value(prev)) / (m.value(cur) - m.value(prev));
      return { by: m.by, qps: prev.qps + Math.max(0, fraction) * (cur.qps - prev.qps) };
    })
    .sort((a, b) => a.qps - b.qps);
  const lowest = crossings[0]!;
  return { qps: lowest.qps, breached: true, by: lowest.by, between: [prev?.qps ?? 0, cur.qps] };
}
