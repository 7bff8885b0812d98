import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { levelWeights } from './weight-driver.js';

const shareOf = (weights: number[], i: number) => weights[i]! / weights.reduce((a, b) => a + b, 0);

describe('levelWeights', () => {
  it('starts from the weights as found and raises one share geometrically to maxShare', () => {
    const levels = levelWeights([1, 1], 0, 5, 0.9);
    assert.deepEqual(levels[0], { share: 0.5, weights: [1, 1] });
    const shares = levels.map((l) => l.share);
    for (let k = 1; k < shares.length; k++) {
      assert.ok(Math.abs(shares[k]! / shares[k - 1]! - (0.9 / 0.5) ** 0.25) < 1e-9);
    }
    assert.ok(Math.abs(shares.at(-1)! - 0.9) < 1e-9);
    // The weights give each level its share; the other instance keeps its own weight.
    for (const level of levels) {
      assert.ok(Math.abs(shareOf(level.weights, 0) - level.share) < 1e-4);
      assert.equal(level.weights[1], 1);
    }
  });

  it('keeps the other instances in proportion, and handles a zero weight and a share of 1', () => {
    const [, second] = levelWeights([2, 0, 6], 1, 3, 1);
    assert.equal(second!.weights[0], 2);
    assert.equal(second!.weights[2], 6);
    assert.ok(shareOf(second!.weights, 1) > 0);
    const last = levelWeights([2, 0, 6], 1, 3, 1).at(-1)!;
    assert.deepEqual(last, { share: 1, weights: [0, 1, 0] });
  });
});
