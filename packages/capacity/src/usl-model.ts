import { z } from 'zod';

/** One measured load level: N (concurrency, need not be an integer) and X (throughput). */
export const UslPoint = z.object({
  concurrency: z.number().positive(),
  throughput: z.number().nonnegative(),
});
export type UslPoint = z.infer<typeof UslPoint>;

/** σ contention, κ coherency (crosstalk), λ throughput at N = 1 (codahale/usl4j names). */
export interface UslParameters {
  sigma: number;
  kappa: number;
  lambda: number;
}

/**
 * Where throughput tops out. JSON has no Infinity, so a curve without a maximum says so with
 * `concurrency: null` rather than an infinite N:
 * - `peak`: κ > 0; N* = √((1−σ)/κ) unfloored (as R `usl` reports it) and X(N*), plus the
 *   floored integer N and X(⌊N*⌋) that codahale/usl4j and usl (Go) report.
 * - `asymptote`: κ = 0 < σ; X rises forever towards the Amdahl limit λ/σ, never reaching it.
 * - `none`: σ = κ = 0 (linear), or an unbounded fit that went non-physical (κ < 0 or σ ≥ 1).
 */
export const UslPeak = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('peak'),
    concurrency: z.number(),
    throughput: z.number(),
    flooredConcurrency: z.number().int(),
    flooredThroughput: z.number(),
  }),
  z.object({ kind: z.literal('asymptote'), concurrency: z.null(), throughput: z.number() }),
  z.object({ kind: z.literal('none'), concurrency: z.null(), throughput: z.null() }),
]);
export type UslPeak = z.infer<typeof UslPeak>;

/** X(N) = λN / (1 + σ(N−1) + κN(N−1)), in float64. */
export function uslThroughput({ sigma, kappa, lambda }: UslParameters, n: number): number {
  return (lambda * n) / (1 + sigma * (n - 1) + kappa * n * (n - 1));
}

/** Throughput at the USL peak concurrency √((1 − σ)/κ); undefined where there is no peak. */
export function peakThroughput(parameters: UslParameters): number | undefined {
  const { sigma, kappa } = parameters;
  if (!(kappa > 0 && sigma < 1)) return undefined;
  return uslThroughput(parameters, Math.sqrt((1 - sigma) / kappa));
}

export function uslPeak(params: UslParameters): UslPeak {
  const { sigma, kappa, lambda } = params;
  if (kappa > 0 && sigma < 1) {
    const concurrency = Math.sqrt((1 - sigma) / kappa);
    const floored = Math.floor(concurrency);
    return {
      kind: 'peak',
      concurrency,
      throughput: uslThroughput(params, concurrency),
      flooredConcurrency: floored,
      flooredThroughput: uslThroughput(params, floored),
    };
  }
  if (kappa === 0 && sigma > 0 && sigma <= 1) {
    return { kind: 'asymptote', concurrency: null, throughput: lambda / sigma };
  }
  return { kind: 'none', concurrency: null, throughput: null };
}
