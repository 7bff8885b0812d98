import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { z } from 'zod';
import { solve } from './linalg.js';
import { type UslParameters, uslThroughput } from './usl-model.js';

/** When a USL fit is good enough to plan from; each bound configurable. */
export const UslQualityGates = z.object({
  /** R² of the fitted against the measured throughput, at least */
  minR2: z.number().min(0).max(1).default(0.9),
  /** residual standard error over the mean measured throughput, at most */
  maxRelativeResidual: z.number().positive().default(0.1),
  /** distinct concurrency levels, at least (the codahale libraries refuse fewer than 6 points) */
  minLevels: z.number().int().min(3).default(6),
  /**
   * the ramp must leave the linear region: at its highest concurrency the fitted throughput
   * is at most this share of λN (else where it bends is extrapolated, not measured)
   */
  maxLinearShare: z.number().gt(0).max(1).default(0.95),
});
export type UslQualityGates = z.infer<typeof UslQualityGates>;

/** The gates when none are given: what `capacity fit` holds every USL fit (and CPU line) to. */
export const DEFAULT_USL_GATES: UslQualityGates = UslQualityGates.parse({});

/** Two-sided level of every model interval: σ, κ, λ, a USL peak's, a knee's. */
export const INTERVAL_LEVEL = 0.95;

/** How far a fit can be trusted, and why not when it cannot. */
export interface UslQuality {
  r2: number;
  relativeResidual: number;
  levels: number;
  /** fitted throughput at the highest measured concurrency over λN (1: still linear) */
  linearShare: number;
  verdict: 'good' | 'poor';
  /** what makes it poor, each with what would fix it (empty when good) */
  reasons: string[];
}

/** Quality of a fit of `points`, judged against `gates`. */
export function uslQuality(
  points: ReadonlyArray<{ concurrency: number; throughput: number }>,
  fit: UslParameters & { r2: number; residualStandardError: number },
  gates: UslQualityGates,
): UslQuality {
  const levels = new Set(points.map((p) => p.concurrency)).size;
  const mean = points.reduce((s, p) => s + p.throughput, 0) / points.length;
  const relativeResidual = mean > 0 ? fit.residualStandardError / mean : Number.POSITIVE_INFINITY;
  const top = Math.max(...points.map((p) => p.concurrency));
  const linear = fit.lambda * top;
  const linearShare = linear > 0 ? uslThroughput(fit, top) / linear : 1;
  const reasons: string[] = [];
  if (!(fit.r2 >= gates.minR2)) {
    reasons.push(
      `R² ${fit.r2.toFixed(3)} < ${gates.minR2}: the curve explains too little of the measured throughput (noise, or no scalability structure); measure each level longer or with less interference`,
    );
  }
  if (!(relativeResidual <= gates.maxRelativeResidual)) {
    reasons.push(
      `residuals ${(relativeResidual * 100).toFixed(1)} % of the mean throughput > ${gates.maxRelativeResidual * 100} %: measure each level longer`,
    );
  }
  if (levels < gates.minLevels) {
    reasons.push(
      `${levels} concurrency levels < ${gates.minLevels}: ramp in at least ${gates.minLevels} levels`,
    );
  }
  if (linearShare > gates.maxLinearShare) {
    const n = Number(top.toPrecision(3));
    reasons.push(
      `the ramp never left the linear region (at N = ${n} the fit is ${(linearShare * 100).toFixed(0)} % of linear): ramp past N = ${n} until throughput bends`,
    );
  }
  return {
    r2: fit.r2,
    relativeResidual,
    levels,
    linearShare,
    verdict: reasons.length === 0 ? 'good' : 'poor',
    reasons,
  };
}

export interface UslIntervals {
  /** two-sided confidence level of the intervals */
  level: number;
  /** degrees of freedom of the t quantile: points − 3 */
  df: number;
  /** s²(JᵀJ)⁻¹ over (σ, κ, λ), for intervals of anything computed from them */
  covariance: number[][];
  standardErrors: UslParameters;
  sigma: [number, number];
  kappa: [number, number];
  lambda: [number, number];
}

/**
 * Wald intervals from the Levenberg–Marquardt covariance at the optimum: s²(JᵀJ)⁻¹, s² the
 * residual variance on n − 3 degrees of freedom, and Student's t quantile; the standard
 * errors are R `usl`'s (nls) on the published datasets. Undefined when JᵀJ is singular or
 * there is no degree of freedom left.
 */
export function uslIntervals(
  jacobian: readonly (readonly number[])[],
  sse: number,
  fit: UslParameters,
  level = INTERVAL_LEVEL,
): UslIntervals | undefined {
  const n = jacobian[0]?.length ?? 0;
  const df = n - 3;
  if (df < 1) return undefined;
  // Columns scaled to unit norm first: λ ~ 10³ and κ ~ 10⁻⁴ in one matrix would look singular.
  const norms = jacobian.map((column) => Math.hypot(...column) || 1);
  const scaled = jacobian.map((column, j) => column.map((v) => v / norms[j]!));
  const normal = scaled.map((a) => scaled.map((b) => a.reduce((s, v, i) => s + v * b[i]!, 0)));
  const variance = sse / df;
  const covariance: number[][] = [];
  for (let j = 0; j < 3; j++) {
    const unit = [0, 0, 0].map((_, k) => (k === j ? 1 : 0));
    const column = solve(normal, unit);
    if (!column || !(column[j]! >= 0)) return undefined;
    covariance.push(column.map((v, k) => (variance * v) / (norms[j]! * norms[k]!)));
  }
  const [se0, se1, se2] = [0, 1, 2].map((j) => Math.sqrt(covariance[j]![j]!)) as [
    number,
    number,
    number,
  ];
  const t = tQuantile((1 + level) / 2, df);
  const around = (value: number, se: number): [number, number] => [value - t * se, value + t * se];
  return {
    level,
    df,
    covariance,
    standardErrors: { sigma: se0, kappa: se1, lambda: se2 },
    sigma: around(fit.sigma, se0),
    kappa: around(fit.kappa, se1),
    lambda: around(fit.lambda, se2),
  };
}

const PARAMETERS = ['sigma', 'kappa', 'lambda'] as const;

/**
 * The interval of something computed from the parameters (the peak throughput, say), by the
 * delta method at the intervals' level: gradient by central differences, variance gᵀΣg.
 * Undefined when `of` is undefined near the fit or its variance is not finite.
 */
export function derivedInterval(
  fit: UslParameters,
  intervals: UslIntervals,
  of: (parameters: UslParameters) => number | undefined,
): { value: number; standardError: number; range: [number, number] } | undefined {
  const value = of(fit);
  if (value === undefined || !Number.isFinite(value)) return undefined;
  const gradient = PARAMETERS.map((key) => {
    const step = Math.abs(fit[key]) * 1e-5 || intervals.standardErrors[key] * 1e-5 || 1e-12;
    const up = of({ ...fit, [key]: fit[key] + step });
    const down = of({ ...fit, [key]: fit[key] - step });
    return up === undefined || down === undefined ? Number.NaN : (up - down) / (2 * step);
  });
  let variance = 0;
  for (let j = 0; j < 3; j++)
    for (let k = 0; k < 3; k++)
      variance += gradient[j]! * gradient[k]! * intervals.covariance[j]![k]!;
  if (!(variance >= 0) || !Number.isFinite(variance)) return undefined;
  const standardError = Math.sqrt(variance);
  const t = tQuantile((1 + intervals.level) / 2, intervals.df);
  return { value, standardError, range: [value - t * standardError, value + t * standardError] };
}
