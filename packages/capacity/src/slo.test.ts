import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sloLimit } from './slo.js';

/** One level per p99, 100 QPS apart, the first marked a warm-up when asked. */
const levels = (p99s: number[], warmUp = false) =>
  p99s.map((p99Ms, i) => ({ qps: 100 * (i + 1), p99Ms, cpu: 0.1, warmUp: warmUp && i === 0 }));

describe('sloLimit: a breach past noise', () => {
  const slo = { p99Ms: 50 };

  it('ends at the first breach the next level confirms, interpolated from the last that held', () => {
    const limit = sloLimit(levels([20, 30, 40, 60, 90]), slo);
    assert.deepEqual(limit, { qps: 350, breached: true, by: 'p99', between: [300, 400] });
  });

  it('takes one breaching level between two that held for noise', () => {
    const limit = sloLimit(levels([20, 80, 30, 40, 60, 90]), slo);
    assert.equal(limit.qps, 450, 'the breach at 200 QPS was one noisy level');
    assert.deepEqual(limit.between, [400, 500]);
  });

  it('counts the top level on its own: there is no next to confirm it', () => {
    assert.deepEqual(sloLimit(levels([20, 30, 40, 60]), slo).between, [300, 400]);
  });

  it('never counts a warm-up level as the breach', () => {
    // A cold first level: measured slow, then the service settles.
    const cold = sloLimit(levels([120, 90, 30, 40, 60, 90], true), slo);
    assert.deepEqual(cold.between, [400, 500]);
    // Without the mark the same ramp broke at its lowest load: nothing held.
    assert.deepEqual(sloLimit(levels([120, 90, 30, 40, 60, 90]), slo).qps, 0);
  });

  it('is a lower bound when nothing breached past noise', () => {
    const limit = sloLimit(levels([20, 80, 30, 40]), slo);
    assert.deepEqual(limit, { qps: 400, breached: false, by: null });
  });
});
