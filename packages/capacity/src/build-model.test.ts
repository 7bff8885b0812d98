import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildModel } from './build-model.js';
import { CapacityModel } from './model.js';
import { planFromModel } from './plan-model.js';
import { SAMPLE_FORECAST, sampleMeasurements, samplePlan } from './testing.js';
import { uslThroughput } from './usl-model.js';

describe('buildModel', () => {
  it('fits each service’s capacity, the curve and points, the ratios and the cost baseline', async () => {
    const { model } = await samplePlan();
    assert.deepEqual(CapacityModel.parse(model), model);
    assert.deepEqual(model.provenance, {
      runs: ['run-ramp'],
      source: 'sample.json',
      createdAt: '2025-01-02T03:04:05.000Z',
    });
    const [cart, payment] = model.services;
    // cart: p99 200 ms crossed between 2 500 (120 ms) and 3 000 QPS (240 ms).
    assert.equal(cart!.capacity.binding, 'slo');
    assert.ok(Math.abs(cart!.capacity.qps - (2500 + (500 * 80) / 120)) < 1e-9);
    // payment: CPU 0.05 + 0.0003·QPS reaches the 2-core knee 3^-½ first.
    assert.equal(payment!.capacity.binding, 'knee');
    assert.ok(Math.abs(payment!.capacity.qps - (3 ** -0.5 - 0.05) / 0.0003) < 1e-6);
    // The curve is kept with the points it was fitted to, and it does fit them.
    assert.equal(cart!.usl!.points.length, 7);
    for (const p of cart!.usl!.points)
      assert.ok(Math.abs(uslThroughput(cart!.usl!, p.concurrency) / p.throughput - 1) < 0.25);
    assert.ok(Math.abs(model.fanout.services.cart!.ratios.order! - 3) < 0.05);
    assert.ok(Math.abs(model.fanout.services.payment!.ratios.order! - 1.2) < 0.02);
    assert.equal(model.fanout.services.cart!.refused, false);
    // CPU-seconds per request: the CPU line's slope × cores.
    assert.ok(Math.abs(model.costHistory[0]!.cpuSecondsPerRequest.cart! - 0.0002 * 4) < 1e-12);
  });

  it('appends later runs’ costs, and the plan derates a capacity whose cost drifted', async () => {
    const measurements = {
      ...sampleMeasurements(),
      run: undefined,
      costs: [{ run: 'run-later', cpuSecondsPerRequest: { cart: 0.0008 * 1.25 } }],
    };
    const model = await buildModel(measurements, { source: 'm.json', defaultRun: 'm' });
    assert.deepEqual(model.provenance.runs, ['m', 'run-later']);
    const plan = planFromModel(model, SAMPLE_FORECAST);
    const cart = plan.services.find((s) => s.service === 'cart')!;
    assert.ok(Math.abs(cart.capacityQps! - model.services[0]!.capacity.qps / 1.25) < 1e-6);
    assert.match(cart.warnings.join('\n'), /CPU per request rose 25\.0%/);
  });

  it('keeps no curve for a ramp with fewer than 3 concurrency levels', async () => {
    const measurements = sampleMeasurements();
    measurements.services.cart!.ramp = measurements.services.cart!.ramp.slice(0, 2);
    const model = await buildModel(measurements, { source: 'm.json', defaultRun: 'm' });
    assert.equal(model.services[0]!.usl, null);
  });
});
