import { z } from 'zod';
import { fitLine, LinearFit } from './linear.js';

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
  return { qps, cores, utilisation, cpuFit, extrapolated };
}
