import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leastSquares } from './linalg.js';
import { nnls } from './nnls.js';

describe('nnls', () => {
  it('equals ordinary least squares when that solution is already non-negative', () => {
    const rows = [
      [1, 0],
      [0, 1],
      [1, 1],
      [2, 1],
    ];
    const b = [2, 3, 5.1, 7];
    const { x } = nnls(rows, b);
    leastSquares(rows, b).forEach((v, j) => {
      assert.ok(Math.abs(x[j]! - v) < 1e-12);
    });
  });

  it('clamps a coefficient least squares would make negative, and refits the rest', () => {
    // Unconstrained: b = 3·a₁ − 1·a₂ exactly; with x ≥ 0 the best is x₂ = 0, x₁ = Σab/Σa².
    const rows = [
      [1, 1],
      [2, 1],
      [3, 1],
    ];
    const b = [2, 5, 8];
    assert.ok(leastSquares(rows, b)[1]! < 0);
    const { x, residualNorm } = nnls(rows, b);
    assert.equal(x[1], 0);
    assert.ok(Math.abs(x[0]! - (2 + 10 + 24) / 14) < 1e-12);
    assert.ok(residualNorm > 0);
  });

  it('returns zeros when every column points away from b', () => {
    const { x } = nnls(
      [
        [1, 2],
        [1, 3],
      ],
      [-1, -2],
    );
    assert.deepEqual(x, [0, 0]);
  });
});
