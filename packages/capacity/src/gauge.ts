// Limits from resources other than CPU and latency: a DB pool's connections in use, event-loop
// delay, memory, a queue's depth. Each ramp level carries each gauge as its share of the
// ceiling the environment gives it (1: at the ceiling); the load at which a gauge reaches 1
// is a limit like the SLO's, and when it is the lowest the plan names that resource.
import { z } from 'zod';
import { EXTRAPOLATION_FACTOR } from './knee.js';
import { fitLine } from './linear.js';
import { DEFAULT_USL_GATES } from './usl-quality.js';

export const GaugeLimit = z.object({
  qps: z.number().nonnegative(),
  /**
   * `crossed`: a level went past the ceiling, confirmed by the next, the limit interpolated
   * between it and the level before (`between`); `line`: no level crossed, and the gauge's
   * straight line over QPS (R² ≥ the fit gate, on ≥ 3 levels) reaches the ceiling at `qps`.
   */
  basis: z.enum(['crossed', 'line']),
  between: z.tuple([z.number(), z.number()]).optional(),
  r2: z.number().optional(),
  /** the highest share of its ceiling measured */
  highest: z.number(),
  /** a `line` limit beyond 2× the highest load measured: a guess */
  extrapolated: z.boolean(),
});
export type GaugeLimit = z.infer<typeof GaugeLimit>;

interface Level {
  qps: number;
  gauges?: Record<string, number> | undefined;
  warmUp?: boolean | undefined;
}

/** The names of the gauges any level measured. */
export function gaugeNames(points: readonly Level[]): string[] {
  return [...new Set(points.flatMap((p) => Object.keys(p.gauges ?? {})))].sort();
}

/**
 * Where gauge `name` reaches its ceiling, walking up the ramp as `sloLimit` does (a crossing
 * counts when the next level confirms it; the top level counts alone; a warm-up never
 * crosses); or, when none crossed, where its line over QPS reaches it, if the line holds;
 * else undefined, with a warning when it rose with load. Not unmet: a gauge far below its
 * ceiling whose growth is not a line (a queue: flat, then steep) says only that it did not
 * run out where the ramp went, and the SLO still bounds the capacity there.
 */
export function gaugeLimit(
  points: readonly Level[],
  name: string,
  service: string,
  warnings: string[],
): GaugeLimit | undefined {
  const measured = points.filter((p) => p.gauges?.[name] !== undefined);
  if (measured.length === 0) return undefined;
  const value = (p: Level) => p.gauges?.[name] as number;
  const highest = Math.max(...measured.map(value));
  const maxQps = Math.max(...measured.map((p) => p.qps));
  const over = (p: Level | undefined) => p === undefined || (!p.warmUp && value(p) > 1);
  const first = measured.findIndex((p, i) => over(p) && over(measured[i + 1]));
  if (first >= 0) {
    const cur = measured[first]!;
    const prev = measured[first - 1];
    if (prev === undefined) {
      return { qps: 0, basis: 'crossed', between: [0, cur.qps], highest, extrapolated: false };
    }
    const fraction = Math.max(0, (1 - value(prev)) / (value(cur) - value(prev)));
    return {
      qps: prev.qps + Math.min(1, fraction) * (cur.qps - prev.qps),
      basis: 'crossed',
      between: [prev.qps, cur.qps],
      highest,
      extrapolated: false,
    };
  }
  const levels = new Set(measured.map((p) => p.qps)).size;
  const line = fitLine(
    measured.map((p) => p.qps),
    measured.map(value),
  );
  // A gauge flat with load (memory of a cache already full) sets no limit, and says nothing.
  if (!line || !(line.slope > 0)) return undefined;
  const { minR2 } = DEFAULT_USL_GATES;
  if (levels < 3 || !(line.r2 >= minR2)) {
    warnings.push(
      `${name} rises with load but its line over QPS does not hold (R² ${line.r2.toFixed(3)}, ${levels} levels; at most ${Math.round(highest * 100)} % of its ceiling), so where it runs out is unknown; to know: ramp ${service} until ${name} reaches its ceiling, in ≥ ${DEFAULT_USL_GATES.minLevels} levels`,
    );
    return undefined;
  }
  const qps = (1 - line.intercept) / line.slope;
  return {
    qps: Math.max(0, qps),
    basis: 'line',
    r2: line.r2,
    highest,
    extrapolated: qps > EXTRAPOLATION_FACTOR * maxQps,
  };
}
