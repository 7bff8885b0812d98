import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kneeLimit, kneeUtilisation } from './knee.js';

describe('kneeUtilisation', () => {
  it('is (m+1)^(−1/m)', () => {
    assert.equal(kneeUtilisation(1), 0.5);
    assert.equal(kneeUtilisation(3).toFixed(2), '0.63');
    assert.equal(kneeUtilisation(4).toFixed(2), '0.67');
    assert.equal(kneeUtilisation(16).toFixed(2), '0.84');
  });
});

describe('kneeLimit', () => {
  it('converts the knee to QPS through the CPU-vs-QPS line', () => {
    // cpu = 0.05 + qps / 10 000 (noise-free): the 4-core knee 0.6687 is at 6187 QPS.
    const points = [500, 1000, 2000, 3000].map((qps) => ({ qps, cpu: 0.05 + qps / 10_000 }));
    const knee = kneeLimit(points, 4)!;
    assert.ok(Math.abs(knee.cpuFit.slope - 1e-4) < 1e-12);
    assert.ok(Math.abs(knee.cpuFit.intercept - 0.05) < 1e-9);
    assert.ok(Math.abs(knee.cpuFit.r2 - 1) < 1e-12);
    assert.ok(Math.abs(knee.qps - (kneeUtilisation(4) - 0.05) * 10_000) < 1e-6);
    assert.equal(Math.round(knee.qps), 6187);
  });

  it('has no knee when CPU does not rise with load', () => {
    assert.equal(
      kneeLimit(
        [
          { qps: 100, cpu: 0.2 },
          { qps: 200, cpu: 0.2 },
        ],
        2,
      ),
      undefined,
    );
  });
});
