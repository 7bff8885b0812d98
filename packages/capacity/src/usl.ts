import type { Tensor1D } from '@tensorflow/tfjs';
import { rSquared } from './linalg.js';
import { type LeastSquaresProblem, levenbergMarquardt } from './lm.js';
import { loadTf, type Tf } from './tf.js';
import { type UslParameters, type UslPeak, UslPoint, uslPeak, uslThroughput } from './usl-model.js';
import {
  DEFAULT_USL_GATES,
  type UslIntervals,
  type UslQuality,
  UslQualityGates,
  uslIntervals,
  uslQuality,
} from './usl-quality.js';
import { uslStart } from './usl-start.js';

export interface UslFitOptions {
  /**
   * Keep σ in [0, 1] and κ ≥ 0 (default), as R `usl` does; the published codahale values come
   * from an unconstrained fit, which agrees whenever the optimum is inside the bounds.
   */
  bounded?: boolean;
  maxIterations?: number;
  /** Relative step size at which the fit stops. */
  tolerance?: number;
  /** When the fit is good enough to plan from (defaults: UslQualityGates). */
  gates?: Partial<UslQualityGates>;
}

export interface UslFit extends UslParameters {
  peak: UslPeak;
  /** R² of the fitted throughput against the measured throughput. */
  r2: number;
  /** λ/σ, the throughput no concurrency can exceed without coherency; null when σ = 0. */
  amdahlLimit: number | null;
  /** √(SSE / (n − 3)), in throughput units (R's "residual standard error"). */
  residualStandardError: number;
  points: number;
  /** Parameters the fit left on a bound (e.g. raytracer's κ = 0). */
  atBound: ('sigma' | 'kappa')[];
  iterations: number;
  converged: boolean;
  /** The tfjs backend that computed the model and its Jacobian. */
  backend: string;
  warnings: string[];
  /** How far it can be trusted: `poor` must not bind capacity. */
  quality: UslQuality;
  /** 95 % intervals of σ, κ, λ; undefined with too few points (n ≤ 3) or a singular fit */
  intervals: UslIntervals | undefined;
}

/** Input the fit cannot work with; the message says what is wrong. */
export class UslInputError extends Error {}

/** Fewer points than this and the codahale libraries refuse, and R `usl` warns. */
const RECOMMENDED_POINTS = 6;

/** Fits X(N) = λN / (1 + σ(N−1) + κN(N−1)) to measured points by least squares on X. */
export async function fitUsl(
  points: readonly UslPoint[],
  options: UslFitOptions = {},
): Promise<UslFit> {
  checkPoints(points);
  const bounded = options.bounded ?? true;
  const { tf, backend } = await loadTf();
  const concurrency = points.map((p) => p.concurrency);
  const problem: LeastSquaresProblem = {
    observed: points.map((p) => p.throughput),
    predict: (theta) => concurrency.map((n) => uslThroughput(toParams(theta), n)),
    jacobian: (theta) => uslJacobian(tf, concurrency, theta),
    lower: bounded ? [0, 0, 0] : [-Infinity, -Infinity, -Infinity],
    upper: bounded ? [1, Infinity, Infinity] : [Infinity, Infinity, Infinity],
  };
  const start = uslStart(points, bounded);
  const result = levenbergMarquardt(problem, [start.sigma, start.kappa, start.lambda], {
    maxIterations: options.maxIterations ?? 200,
    tolerance: options.tolerance ?? 1e-10,
  });
  const params = toParams(result.theta);
  const fitted = concurrency.map((n) => uslThroughput(params, n));
  const r2 = rSquared(problem.observed, fitted);
  const residualStandardError = Math.sqrt(result.sse / Math.max(1, points.length - 3));
  return {
    ...params,
    peak: uslPeak(params),
    r2,
    amdahlLimit: params.sigma > 0 ? params.lambda / params.sigma : null,
    residualStandardError,
    quality: uslQuality(
      points,
      { ...params, r2, residualStandardError },
      options.gates ? UslQualityGates.parse(options.gates) : DEFAULT_USL_GATES,
    ),
    intervals: uslIntervals(problem.jacobian(result.theta), result.sse, params),
    points: points.length,
    atBound: bounded ? boundsHit(params) : [],
    iterations: result.iterations,
    converged: result.converged,
    backend,
    warnings: fitWarnings(points.length, params, result.converged),
  };
}

function toParams(theta: readonly number[]): UslParameters {
  return { sigma: theta[0]!, kappa: theta[1]!, lambda: theta[2]! };
}

function checkPoints(points: readonly UslPoint[]): void {
  points.forEach((p, i) => {
    const parsed = UslPoint.safeParse(p);
    if (!parsed.success) {
      throw new UslInputError(
        `point ${i + 1}: concurrency must be > 0 and throughput ≥ 0 (got ${JSON.stringify(p)})`,
      );
    }
  });
  const distinct = new Set(points.map((p) => p.concurrency)).size;
  if (distinct < 3) {
    throw new UslInputError(
      `the USL has 3 parameters: need at least 3 distinct concurrency levels, got ${distinct}`,
    );
  }
}

/**
 * ∂X/∂(σ, κ, λ) for every point, by tfjs autodiff. Each parameter is fed as a vector with one
 * copy per point, so the gradient of ΣX with respect to that vector is the Jacobian column:
 * one backward pass instead of one per point.
 */
function uslJacobian(tf: Tf, concurrency: readonly number[], theta: readonly number[]): number[][] {
  return tf.tidy(() => {
    const n = tf.tensor1d(concurrency as number[]);
    const model = (sigma: Tensor1D, kappa: Tensor1D, lambda: Tensor1D) =>
      lambda.mul(n).div(
        sigma
          .mul(n.sub(1))
          .add(kappa.mul(n).mul(n.sub(1)))
          .add(1),
      );
    const ones = tf.onesLike(n);
    const columns = tf.grads((s, k, l) => model(s as Tensor1D, k as Tensor1D, l as Tensor1D))(
      theta.map((v) => ones.mul(v)),
    );
    return columns.map((column) => Array.from(column.dataSync()));
  });
}

function boundsHit({ sigma, kappa }: UslParameters): ('sigma' | 'kappa')[] {
  const hit: ('sigma' | 'kappa')[] = [];
  if (sigma <= 0 || sigma >= 1) hit.push('sigma');
  if (kappa <= 0) hit.push('kappa');
  return hit;
}

function fitWarnings(count: number, { sigma, kappa }: UslParameters, converged: boolean): string[] {
  const warnings: string[] = [];
  if (count < RECOMMENDED_POINTS) {
    warnings.push(`only ${count} points: the fit may not be accurate (use ${RECOMMENDED_POINTS}+)`);
  }
  if (kappa < 0) warnings.push('κ < 0 (negative coherency): the curve is non-physical');
  if (sigma < 0 || sigma >= 1) warnings.push(`σ = ${sigma} is outside [0, 1): non-physical`);
  if (!converged) warnings.push('the fit did not converge; the parameters are approximate');
  return warnings;
}
