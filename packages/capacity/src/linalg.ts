/**
 * The little dense linear algebra the capacity model needs: systems of at most a dozen
 * unknowns (3 USL parameters, a handful of entry kinds). Plain arrays keep it in float64,
 * which tfjs's CPU backend cannot give us.
 */

/** Solves A·x = b by Gaussian elimination with partial pivoting; undefined if A is singular. */
export function solve(
  a: readonly (readonly number[])[],
  b: readonly number[],
): number[] | undefined {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  const scale = Math.max(...m.flatMap((row) => row.slice(0, n).map(Math.abs)));
  if (!(scale > 0)) return undefined;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++) {
      if (Math.abs(m[row]![col]!) > Math.abs(m[pivot]![col]!)) pivot = row;
    }
    if (Math.abs(m[pivot]![col]!) <= scale * 1e-14) return undefined;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const p = m[col]!;
    for (let row = col + 1; row < n; row++) {
      const r = m[row]!;
      const f = r[col]! / p[col]!;
      for (let k = col; k <= n; k++) r[k] = r[k]! - f * p[k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let row = n - 1; row >= 0; row--) {
    const r = m[row]!;
    let sum = r[n]!;
    for (let k = row + 1; k < n; k++) sum -= r[k]! * x[k]!;
    x[row] = sum / r[row]!;
  }
  return x;
}

/**
 * Least squares min ‖A·x − b‖ by Householder QR (A given as rows, m ≥ n). QR rather than the
 * normal equations because entry-rate columns are often strongly correlated, and AᵀA squares
 * the condition number. Columns that are (numerically) dependent get a zero coefficient.
 */
export function leastSquares(rows: readonly (readonly number[])[], b: readonly number[]): number[] {
  const m = rows.length;
  const n = rows[0]?.length ?? 0;
  const r = rows.map((row) => [...row]);
  const y = [...b];
  const diag: number[] = [];
  for (let k = 0; k < Math.min(m, n); k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += r[i]![k]! ** 2;
    norm = Math.sqrt(norm);
    const alpha = r[k]![k]! > 0 ? -norm : norm;
    diag.push(alpha);
    if (norm === 0) continue;
    // Householder reflection with v = x − αe₁ zeroes column k below the diagonal.
    const v = r.slice(k).map((row) => row[k]!);
    v[0] = v[0]! - alpha;
    const vNorm2 = v.reduce((s, vi) => s + vi * vi, 0);
    if (vNorm2 === 0) continue;
    for (let j = k; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i - k]! * r[i]![j]!;
      const f = (2 * dot) / vNorm2;
      for (let i = k; i < m; i++) r[i]![j] = r[i]![j]! - f * v[i - k]!;
    }
    let dot = 0;
    for (let i = k; i < m; i++) dot += v[i - k]! * y[i]!;
    const f = (2 * dot) / vNorm2;
    for (let i = k; i < m; i++) y[i] = y[i]! - f * v[i - k]!;
  }
  const largest = Math.max(0, ...diag.map(Math.abs));
  const x = new Array<number>(n).fill(0);
  for (let k = Math.min(m, n) - 1; k >= 0; k--) {
    const rkk = r[k]![k]!;
    if (Math.abs(rkk) <= largest * 1e-12) continue;
    let sum = y[k]!;
    for (let j = k + 1; j < n; j++) sum -= r[k]![j]! * x[j]!;
    x[k] = sum / rkk;
  }
  return x;
}

/** Coefficient of determination of predictions against observations (centred: 1 − SSres/SStot). */
export function rSquared(observed: readonly number[], predicted: readonly number[]): number {
  const mean = observed.reduce((s, v) => s + v, 0) / observed.length;
  let ssRes = 0;
  let ssTot = 0;
  observed.forEach((y, i) => {
    ssRes += (y - predicted[i]!) ** 2;
    ssTot += (y - mean) ** 2;
  });
  // A flat series has nothing to explain: a perfect fit scores 1, anything else 0.
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}
