import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { arrivalTime, plannedVus } from './executors.js';

describe('plannedVus (ramping-vus)', () => {
  const stages = [
    { duration: 1000, target: 10 },
    { duration: 1000, target: 10 },
    { duration: 1000, target: 0 },
  ];
  it('steps up one VU where the line crosses a whole number', () => {
    assert.equal(plannedVus(0, stages, 0), 0);
    assert.equal(plannedVus(0, stages, 99), 0);
    assert.equal(plannedVus(0, stages, 100), 1);
    assert.equal(plannedVus(0, stages, 550), 5);
    assert.equal(plannedVus(0, stages, 1500), 10);
  });
  it('steps down from the stage start value (ceil), and holds the last target after', () => {
    assert.equal(plannedVus(0, stages, 2001), 10);
    assert.equal(plannedVus(0, stages, 2100), 9);
    assert.equal(plannedVus(0, stages, 2950), 1);
    assert.equal(plannedVus(0, stages, 5000), 0);
    assert.equal(plannedVus(3, [{ duration: 1000, target: 1 }], 0), 3);
  });
});

describe('arrivalTime (ramping-arrival-rate)', () => {
  it('starts the n-th iteration where the rate integral reaches n', () => {
    // constant 10/s (0.01/ms): n-th at n·100 ms, the first at 1/rate
    const flat = [{ duration: 1000, target: 0.01 }];
    assert.equal(Math.round(arrivalTime(0.01, flat, 1) as number), 100);
    assert.equal(Math.round(arrivalTime(0.01, flat, 10) as number), 1000);
    assert.equal(arrivalTime(0.01, flat, 11), undefined);
  });
  it('follows a linear ramp: 0→20/s over 1 s reaches n at √(n/10) s', () => {
    const ramp = [{ duration: 1000, target: 0.02 }];
    for (const n of [1, 4, 9]) {
      assert.ok(Math.abs((arrivalTime(0, ramp, n) as number) - Math.sqrt(n / 10) * 1000) < 1e-6);
    }
  });
  it('crosses stages, and skips a zero-rate stage', () => {
    const stages = [
      { duration: 1000, target: 0 },
      { duration: 1000, target: 0 },
      { duration: 1000, target: 0.01 },
    ];
    // the first stage ramps 0.01→0: area 5; none in the second; the third ramps 0→0.01
    assert.ok((arrivalTime(0.01, stages, 5) as number) <= 1000);
    const sixth = arrivalTime(0.01, stages, 6) as number;
    assert.ok(sixth > 2000 && sixth < 3000, String(sixth));
  });
});
