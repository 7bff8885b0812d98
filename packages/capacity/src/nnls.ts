import { leastSquares } from './linalg.js';

export interface NnlsResult {
  x: number[];
  /** ‖A·x − b‖. */
  residualNorm: number;
}

/**
 * Non-negative least squares, min ‖A·x − b‖ subject to x ≥ 0, by Lawson & Hanson's active-set
 * method (Solving Least Squares Problems, 1974, ch. 23): grow the set of positive variables
 * one at a time along the steepest feasible gradient, backing off whenever the unconstrained
 * solution on that set would turn a variable negative. A is given as rows.
 */
export function nnls(rows: readonly (readonly number[])[], b: readonly number[]): NnlsResult {
  const n = rows[0]?.length ?? 0;
  const x = new Array<number>(n).fill(0);
  const passive = new Set<number>();
  // w has the units of A·b; below this it is rounding noise (a reduce, not Math.max(...):
  // a day of per-second rows would overflow the argument list).
  const maxA = rows.reduce((m, row) => row.reduce((mm, a) => Math.max(mm, Math.abs(a)), m), 0);
  const maxB = b.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const tolerance = 10 * Number.EPSILON * Math.max(rows.length, n) * maxA * Math.max(1, maxB);

  for (let outer = 0; outer < 3 * n + 3; outer++) {
    const w = gradient(rows, b, x);
    let entering = -1;
    for (let j = 0; j < n; j++) {
      if (!passive.has(j) && w[j]! > tolerance && (entering < 0 || w[j]! > w[entering]!))
        entering = j;
    }
    if (entering < 0) break;
    passive.add(entering);

    for (let inner = 0; inner < 3 * n + 3; inner++) {
      const z = solveOn(rows, b, passive, n);
      const blocking = [...passive].filter((j) => z[j]! <= 0);
      if (blocking.length === 0) {
        z.forEach((v, j) => {
          x[j] = v;
        });
        break;
      }
      // Step from x towards z only as far as the first variable reaching zero.
      const alpha = Math.min(...blocking.map((j) => x[j]! / (x[j]! - z[j]!)));
      for (let j = 0; j < n; j++) x[j] = x[j]! + alpha * (z[j]! - x[j]!);
      for (const j of [...passive]) {
        if (x[j]! <= tolerance) {
          x[j] = 0;
          passive.delete(j);
        }
      }
    }
  }
  const residual = rows.map((row, i) => row.reduce((s, a, j) => s + a * x[j]!, 0) - b[i]!);
  return { x, residualNorm: Math.sqrt(residual.reduce((s, r) => s + r * r, 0)) };
}

/** w = Aᵀ(b − A·x): positive where increasing xⱼ lowers the residual. */
function gradient(
  rows: readonly (readonly number[])[],
  b: readonly number[],
  x: readonly number[],
) {
  const w = new Array<number>(x.length).fill(0);
  rows.forEach((row, i) => {
    const r = b[i]! - row.reduce((s, a, j) => s + a * x[j]!, 0);
    row.forEach((a, j) => {
      w[j] = w[j]! + a * r;
    });
  });
  return w;
}

/** Unconstrained least squares on the passive columns; the others are held at zero. */
function solveOn(
  rows: readonly (readonly number[])[],
  b: readonly number[],
  passive: ReadonlySet<number>,
  n: number,
): number[] {
  const columns = [...passive].sort((p, q) => p - q);
  const solution = leastSquares(
    rows.map((row) => columns.map((j) => row[j]!)),
    b,
  );
  const z = new Array<number>(n).fill(0);
  columns.forEach((j, k) => {
    z[j] = solution[k]!;
  });
  return z;
}
