import { z } from 'zod';
import { leastSquares, rSquared } from './linalg.js';
import { nnls } from './nnls.js';

/** One second of traffic: entry requests by kind, and calls received by each service. */
export const FanoutSecond = z.object({
  entries: z.record(z.string(), z.number().nonnegative()),
  calls: z.record(z.string(), z.number().nonnegative()),
});
export type FanoutSecond = z.infer<typeof FanoutSecond>;

export const FanoutOptions = z.object({
  /**
   * A fit is poor, and its ratios refused, when R² is below this (default 0.9) *and* the
   * residuals are large: R² alone says nothing when a service's calls hardly vary (steady
   * load, or a service every entry kind calls equally), where a perfect fit scores near 0.
   */
  minR2: z.number().min(0).max(1).default(0.9),
  /** …where "large" is an RMS residual above this share of the mean calls (default 0.05). */
  maxRelativeError: z.number().positive().default(0.05),
  /** Fewer seconds than this and every ratio is refused (default max(20, 5 × entry kinds)). */
  minSeconds: z.number().int().positive().optional(),
  /**
   * Refuse when an entry series is this close to a fixed mix of the others (sine of the angle
   * to their span; default 0.05): ratios cannot be separated from traffic that never varies
   * its mix.
   */
  minIndependence: z.number().min(0).max(1).default(0.05),
});
export type FanoutOptions = z.input<typeof FanoutOptions>;

export const ServiceFanout = z.object({
  /** Calls to the service per entry request of each kind. */
  ratios: z.record(z.string(), z.number().nonnegative()),
  r2: z.number(),
  /** RMS of the residuals over the mean calls per second (0 when no calls) */
  relativeError: z.number().optional(),
  refused: z.boolean(),
  reason: z.string().optional(),
});
export type ServiceFanout = z.infer<typeof ServiceFanout>;

export const FanoutFit = z.object({
  entryKinds: z.array(z.string()),
  seconds: z.number().int().nonnegative(),
  services: z.record(z.string(), ServiceFanout),
});
export type FanoutFit = z.infer<typeof FanoutFit>;

/**
 * Fan-out ratios: for each service, the non-negative ratios r with calls(t) ≈ Σₖ rₖ·entryₖ(t)
 * over the seconds of a test. Non-negative because a request cannot un-call a service; no
 * intercept because the plan scales calls with entries, and background traffic that does not
 * scale shows up as a poor R² (refused) rather than being silently folded into the ratios.
 */
export function fitFanout(
  seconds: readonly FanoutSecond[],
  options: FanoutOptions = {},
): FanoutFit {
  const { minR2, maxRelativeError, minIndependence, minSeconds } = FanoutOptions.parse(options);
  const entryKinds = [...new Set(seconds.flatMap((s) => Object.keys(s.entries)))].sort();
  const services = [...new Set(seconds.flatMap((s) => Object.keys(s.calls)))].sort();
  const rows = seconds.map((s) => entryKinds.map((k) => s.entries[k] ?? 0));
  const needed = minSeconds ?? Math.max(20, 5 * entryKinds.length);
  const shared = sharedRefusal(entryKinds, rows, needed, minIndependence);

  const fits = services.map((service): [string, ServiceFanout] => {
    const calls = seconds.map((s) => s.calls[service] ?? 0);
    const { x } = nnls(rows, calls);
    const predicted = rows.map((row) => row.reduce((sum, e, k) => sum + e * x[k]!, 0));
    const r2 = rSquared(calls, predicted);
    const relativeError = rmsRelative(calls, predicted);
    const ratios = Object.fromEntries(entryKinds.map((k, i) => [k, x[i]!]));
    const reason =
      shared ??
      (r2 < minR2 && relativeError > maxRelativeError
        ? `R² ${r2.toFixed(3)} is below ${minR2} and the residuals are ${(relativeError * 100).toFixed(1)}% of the calls: calls do not follow the entry mix (background traffic, caching, batching?)`
        : undefined);
    const fit = { ratios, r2, relativeError };
    return [
      service,
      reason === undefined ? { ...fit, refused: false } : { ...fit, refused: true, reason },
    ];
  });
  return { entryKinds, seconds: seconds.length, services: Object.fromEntries(fits) };
}

/** RMS of the residuals relative to the mean of `actual` (0 when there were no calls). */
function rmsRelative(actual: readonly number[], predicted: readonly number[]): number {
  if (actual.length === 0) return 0;
  const mean = actual.reduce((a, b) => a + b, 0) / actual.length;
  if (mean <= 0) return 0;
  const sq = actual.reduce((sum, a, i) => sum + (a - (predicted[i] as number)) ** 2, 0);
  return Math.sqrt(sq / actual.length) / mean;
}

/** Problems with the entry traffic itself, which make every service's ratios unreliable. */
function sharedRefusal(
  kinds: readonly string[],
  rows: readonly (readonly number[])[],
  needed: number,
  minIndependence: number,
): string | undefined {
  if (rows.length < needed)
    return `only ${rows.length} seconds of traffic; need at least ${needed}`;
  const series = kinds.map((_, k) => rows.map((row) => row[k]!));
  const silent = kinds.filter((_, k) => series[k]!.every((v) => v === 0));
  if (silent.length > 0) return `entry kind(s) ${silent.join(', ')} never seen in the test`;
  for (let k = 0; k < kinds.length && kinds.length > 1; k++) {
    const sine = independence(series, k);
    if (sine < minIndependence) {
      return `the ${kinds[k]} rate moves in step with the other entry kinds (independence ${sine.toFixed(3)} < ${minIndependence}): their ratios cannot be told apart; vary the mix during the test`;
    }
  }
  return undefined;
}

/**
 * sin of the angle between entry series k and the span of the others: 0 when k is a fixed
 * mix of them (say view = 7.5 × order every second, or both held constant), 1 when it is
 * orthogonal. Ratio standard errors grow as 1/sin, so a small value means unusable ratios.
 */
function independence(series: readonly (readonly number[])[], k: number): number {
  const target = series[k]!;
  const others = series.filter((_, j) => j !== k);
  const coef = leastSquares(
    target.map((_, i) => others.map((s) => s[i]!)),
    target,
  );
  let residual = 0;
  let total = 0;
  target.forEach((v, i) => {
    const fitted = others.reduce((sum, s, j) => sum + s[i]! * coef[j]!, 0);
    residual += (v - fitted) ** 2;
    total += v * v;
  });
  return Math.sqrt(residual / total);
}
