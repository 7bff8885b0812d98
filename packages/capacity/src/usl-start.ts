import { leastSquares } from './linalg.js';
import { type UslParameters, type UslPoint, uslThroughput } from './usl-model.js';

/**
 * Starting values for the USL fit, from two linearisations; the one whose curve fits the data
 * better wins. Starting near the answer is what keeps Levenberg–Marquardt out of the flat
 * valleys of this model (σ and κ trade off against each other along a ridge).
 */
export function uslStart(points: readonly UslPoint[], bounded: boolean): UslParameters {
  const candidates = [fromPeakEfficiency(points), fromReciprocal(points)].flatMap((c) =>
    c === undefined ? [] : [bounded ? clampToBounds(c) : c],
  );
  const sse = (c: UslParameters) =>
    points.reduce((s, p) => s + (p.throughput - uslThroughput(c, p.concurrency)) ** 2, 0);
  const finite = candidates.filter((c) => Number.isFinite(sse(c)));
  finite.sort((a, b) => sse(a) - sse(b));
  return finite[0] ?? { sigma: 0.01, kappa: 0, lambda: maxEfficiency(points) };
}

function maxEfficiency(points: readonly UslPoint[]): number {
  return Math.max(...points.map((p) => p.throughput / p.concurrency));
}

/**
 * λ is at least the best X/N measured (the low-N points, where contention has barely begun);
 * with λ fixed, λN/X − 1 = σ(N−1) + κN(N−1) is linear in σ and κ.
 */
function fromPeakEfficiency(points: readonly UslPoint[]): UslParameters | undefined {
  const lambda = maxEfficiency(points);
  const usable = points.filter((p) => p.throughput > 0);
  if (!(lambda > 0) || usable.length < 2) return undefined;
  const [sigma, kappa] = leastSquares(
    usable.map((p) => [p.concurrency - 1, p.concurrency * (p.concurrency - 1)]),
    usable.map((p) => (lambda * p.concurrency) / p.throughput - 1),
  );
  return { sigma: sigma!, kappa: kappa!, lambda };
}

/** N/X = 1/λ + (σ/λ)(N−1) + (κ/λ)N(N−1): all three at once, when the intercept is positive. */
function fromReciprocal(points: readonly UslPoint[]): UslParameters | undefined {
  const usable = points.filter((p) => p.throughput > 0);
  if (usable.length < 3) return undefined;
  const [a, b, c] = leastSquares(
    usable.map((p) => [1, p.concurrency - 1, p.concurrency * (p.concurrency - 1)]),
    usable.map((p) => p.concurrency / p.throughput),
  );
  if (!(a! > 0)) return undefined;
  return { sigma: b! / a!, kappa: c! / a!, lambda: 1 / a! };
}

function clampToBounds({ sigma, kappa, lambda }: UslParameters): UslParameters {
  return { sigma: Math.min(1, Math.max(0, sigma)), kappa: Math.max(0, kappa), lambda };
}
