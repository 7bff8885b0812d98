import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { costDrift } from './drift.js';

const runs = [
  { run: 'r1', cpuSecondsPerRequest: { cart: 0.01, search: 0.02 } },
  { run: 'r2', cpuSecondsPerRequest: { cart: 0.0105, search: 0.0205 } },
  { run: 'r3', cpuSecondsPerRequest: { cart: 0.0115, search: 0.0209 } },
];

describe('costDrift', () => {
  it('flags a rise beyond 10% against the first run, and derates capacity by it', () => {
    const drift = costDrift(runs);
    assert.equal(drift.cart!.drifted, true);
    assert.ok(Math.abs(drift.cart!.change - 0.15) < 1e-12);
    assert.ok(Math.abs(drift.cart!.capacityFactor - 0.01 / 0.0115) < 1e-12);
    assert.match(drift.cart!.warning!, /rose 15\.0% from run r1 to r3/);
    assert.equal(drift.search!.drifted, false);
    assert.equal(drift.search!.capacityFactor, 1);
  });

  it('takes the margin as an option and never raises capacity on a fall', () => {
    assert.equal(costDrift(runs, { margin: 0.2 }).cart!.drifted, false);
    const cheaper = costDrift([runs[2]!, runs[0]!]);
    assert.equal(cheaper.cart!.capacityFactor, 1);
  });
});
