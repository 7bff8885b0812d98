import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { z } from 'zod';
import { fitLine, LinearFit } from './linear.js';
import { INTERVAL_LEVEL } from './usl-quality.js';

/** Beyond this multiple of the highest measured load, a limit is extrapolation. */
export const EXTRAPOLATION_FACTOR = 2;

/**
 * Utilisation at the knee of an m-server queue, (m+1)^(−1/m): 0.50 for 1 core, 0.63 for 3,
 * 0.67 for 4, 0.84 for 16. Past it, queueing delay climbs steeply for little more throughput,
 * so a machine is not planned to run beyond it whatever its latency looked like in a test.
 */
export function kneeUtilisation(cores: number): number {
  return (cores + 1) ** (-1 / cores);
}

export const KneeLimit = z.object({
  qps: z.number(),
  cores: z.number().int().positive(),
  utilisation: z.number(),
  /** CPU utilisation (0..1) against QPS over the ramp. */
  cpuFit: LinearFit,
  /** Beyond 2× the highest load measured: the CPU line is being extended far past the data. */
  extrapolated: z.boolean(),
  /**
   * `qps`'s standard error and INTERVAL_LEVEL (95 %) interval, by the delta method from the
   * line's least-squares covariance (t on n − 2); absent with fewer than three levels.
   */
  standardError: z.number().optional(),
  range: z.tuple([z.number(), z.number()]).optional(),
});
export type KneeLimit = z.infer<typeof KneeLimit>;

/**
 * The QPS at which CPU reaches the knee, from a straight-line fit of CPU against QPS (CPU per
 * request is roughly constant below saturation). Undefined when CPU does not rise with load:
 * then CPU is not what limits this service, and the line says nothing about the knee.
 */
export function kneeLimit(
  points: readonly { qps: number; cpu: number }[],
  cores: number,
  maxMeasuredQps = Math.max(...points.map((p) => p.qps)),
): KneeLimit | undefined {
  const cpuFit = fitLine(
    points.map((p) => p.qps),
    points.map((p) => p.cpu),
  );
  if (cpuFit === undefined || !(cpuFit.slope > 0)) return undefined;
  const utilisation = kneeUtilisation(cores);
  const qps = Math.max(0, (utilisation - cpuFit.intercept) / cpuFit.slope);
  const extrapolated = qps > EXTRAPOLATION_FACTOR * maxMeasuredQps;
  const spread = kneeSpread(points, cpuFit, utilisation, qps);
  return { qps, cores, utilisation, cpuFit, extrapolated, ...spread };
}

/**
 * The knee's uncertainty from the CPU line's: q = (u − b) ÷ m, so ∂q/∂b = −1/m and
 * ∂q/∂m = −q/m, with the textbook covariance of an OLS line, s² = SSE ÷ (n − 2).
 */
function kneeSpread(
  points: readonly { qps: number; cpu: number }[],
  line: LinearFit,
  utilisation: number,
  qps: number,
): { standardError: number; range: [number, number] } | Record<string, never> {
  const n = points.length;
  if (n < 3) return {};
  const meanQps = points.reduce((s, p) => s + p.qps, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.qps - meanQps) ** 2, 0);
  const sse = points.reduce((s, p) => s + (p.cpu - line.intercept - line.slope * p.qps) ** 2, 0);
  const variance = sse / (n - 2);
  const varSlope = variance / sxx;
  const varIntercept = variance * (1 / n + meanQps ** 2 / sxx);
  const covariance = (-meanQps * variance) / sxx;
  const atKnee = (utilisation - line.intercept) / line.slope;
  const dIntercept = -1 / line.slope;
  const dSlope = -atKnee / line.slope;
  const varQps =
    dIntercept ** 2 * varIntercept + dSlope ** 2 * varSlope + 2 * dIntercept * dSlope * covariance;
  if (!(varQps >= 0) || !Number.isFinite(varQps)) return {};
  const standardError = Math.sqrt(varQps);
  const t = tQuantile((1 + INTERVAL_LEVEL) / 2, n - 2);
  return { standardError, range: [Math.max(0, qps - t * standardError), qps + t * standardError] };
}
