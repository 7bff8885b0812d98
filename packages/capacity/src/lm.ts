import { solve } from './linalg.js';

/** A bounded non-linear least-squares problem: fit `predict(θ)` to `observed`. */
export interface LeastSquaresProblem {
  observed: readonly number[];
  /** Model values in float64: residuals and the accept/reject test need full precision. */
  predict(theta: readonly number[]): number[];
  /** ∂prediction/∂θⱼ, one column (array over observations) per parameter. */
  jacobian(theta: readonly number[]): number[][];
  lower: readonly number[];
  upper: readonly number[];
}

export interface LmOptions {
  maxIterations: number;
  /** Stop when a step changes the scaled parameters or the SSE by less than this, relatively. */
  tolerance: number;
}

export interface LmResult {
  theta: number[];
  sse: number;
  iterations: number;
  converged: boolean;
}

const sumOfSquares = (observed: readonly number[], predicted: readonly number[]): number =>
  observed.reduce((s, y, i) => s + (y - predicted[i]!) ** 2, 0);

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/**
 * Projected Levenberg–Marquardt. Each step solves (JₛᵀJₛ + μI)·δₛ = Jₛᵀr on the free
 * parameters, where Jₛ is J with every column divided by its norm (Moré's scaling, kept
 * non-decreasing as in MINPACK): λ ~ 1e3 and κ ~ 1e-4 then weigh the same, which is what lets
 * the fit pin κ to 1 % where gradient descent on raw parameters crawls. A parameter sitting on
 * a bound whose gradient points out of the box is held there (the active set), so a fit like
 * raytracer's, whose optimum is κ = 0, converges instead of bouncing off the bound.
 */
export function levenbergMarquardt(
  problem: LeastSquaresProblem,
  start: readonly number[],
  options: LmOptions,
): LmResult {
  const { observed, lower, upper } = problem;
  const p = start.length;
  let theta = start.map((v, j) => clamp(v, lower[j]!, upper[j]!));
  let sse = sumOfSquares(observed, problem.predict(theta));
  const scale = new Array<number>(p).fill(0);
  let mu = 1e-3;

  for (let iteration = 1; iteration <= options.maxIterations; iteration++) {
    const predicted = problem.predict(theta);
    const residual = observed.map((y, i) => y - predicted[i]!);
    const jac = problem.jacobian(theta);
    jac.forEach((column, j) => {
      scale[j] = Math.max(scale[j]!, Math.hypot(...column)) || 1;
    });
    const gradient = jac.map((column) => column.reduce((s, v, i) => s + v * residual[i]!, 0));
    // Held: on a bound, and moving inwards would not lower the SSE.
    const atBound = theta.map(
      (v, j) => (v <= lower[j]! && gradient[j]! <= 0) || (v >= upper[j]! && gradient[j]! >= 0),
    );
    const free = theta.flatMap((_, j) => (atBound[j] ? [] : [j]));
    if (free.length === 0) return { theta, sse, iterations: iteration, converged: true };

    const scaled = free.map((j) => jac[j]!.map((v) => v / scale[j]!));
    const normal = scaled.map((a) => scaled.map((b) => a.reduce((s, v, i) => s + v * b[i]!, 0)));
    const rhs = free.map((j) => gradient[j]! / scale[j]!);
    const rhsNorm = Math.hypot(...rhs);
    if (rhsNorm <= options.tolerance * 1e-3 * Math.sqrt(sse || 1)) {
      return { theta, sse, iterations: iteration, converged: true };
    }

    // Raise μ until a step lowers the SSE; a μ this large means no step can.
    for (;;) {
      const damped = normal.map((row, a) => row.map((v, b) => (a === b ? v + mu : v)));
      const step = solve(damped, rhs);
      if (step === undefined) {
        mu *= 4;
        if (mu > 1e16) return { theta, sse, iterations: iteration, converged: false };
        continue;
      }
      const candidate = [...theta];
      free.forEach((j, a) => {
        candidate[j] = clamp(theta[j]! + step[a]! / scale[j]!, lower[j]!, upper[j]!);
      });
      const candidateSse = sumOfSquares(observed, problem.predict(candidate));
      if (candidateSse < sse) {
        const moved = Math.hypot(...candidate.map((v, j) => (v - theta[j]!) * scale[j]!));
        const size = Math.hypot(...theta.map((v, j) => v * scale[j]!));
        const gain = (sse - candidateSse) / sse;
        theta = candidate;
        sse = candidateSse;
        mu = Math.max(mu / 3, 1e-12);
        if (moved <= options.tolerance * size || gain <= options.tolerance * 1e-4) {
          return { theta, sse, iterations: iteration, converged: true };
        }
        break;
      }
      mu *= 4;
      // No representable step lowers the SSE: we are at the minimum to machine precision.
      if (mu > 1e16) return { theta, sse, iterations: iteration, converged: true };
    }
  }
  return { theta, sse, iterations: options.maxIterations, converged: false };
}
