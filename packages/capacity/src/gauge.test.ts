import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeCapacity } from './capacity.js';
import { measurementsFromRuns } from './from-runs.js';
import { gaugeLimit } from './gauge.js';

// A service whose DB pool (share of its ceiling) fills at 0.004 per QPS: full at 250 QPS,
// long before its CPU (1 ms a request: 1000 QPS) or its p99 SLO.
const levels = [50, 100, 150, 200, 300, 350].map((qps, i) => ({
  qps,
  p99Ms: 20,
  cpu: qps / 1000,
  warmUp: i === 0,
  gauges: { db_pool: qps / 250 },
}));

describe('saturation gauge limits', () => {
  it('interpolates where a gauge crossed its ceiling, confirmed by the next level', () => {
    const warnings: string[] = [];
    const limit = gaugeLimit(levels, 'db_pool', 'orders', warnings);
    assert.deepEqual(limit, {
      qps: 250,
      basis: 'crossed',
      between: [200, 300],
      highest: 1.4,
      extrapolated: false,
    });
    assert.deepEqual(warnings, []);
  });

  it('one level over between two under is noise; a warm-up never crosses', () => {
    const noisy = [
      { qps: 100, gauges: { g: 1.5 }, warmUp: true },
      { qps: 150, gauges: { g: 0.5 } },
      { qps: 200, gauges: { g: 1.2 } },
      { qps: 250, gauges: { g: 0.6 } },
      { qps: 300, gauges: { g: 0.7 } },
    ];
    const limit = gaugeLimit(noisy, 'g', 's', []);
    // Not crossed, and no straight line through it: no limit.
    assert.equal(limit?.basis === 'crossed', false);
  });

  it('extrapolates a steady line to the ceiling when nothing crossed, and flags it beyond 2×', () => {
    const below = levels.slice(0, 4).map((p) => ({ ...p, gauges: { db_pool: p.qps * 0.001 } }));
    const limit = gaugeLimit(below, 'db_pool', 'orders', []);
    assert.equal(limit?.basis, 'line');
    assert.ok(Math.abs(limit!.qps - 1000) < 1e-6);
    assert.equal(limit!.extrapolated, true);
  });

  it('a gauge that rises without a line to trust does not bind, and warns what would tell', () => {
    const warnings: string[] = [];
    const wandering = [
      { qps: 100, gauges: { q: 0.1 } },
      { qps: 200, gauges: { q: 0.6 } },
      { qps: 300, gauges: { q: 0.2 } },
      { qps: 400, gauges: { q: 0.7 } },
    ];
    assert.equal(gaugeLimit(wandering, 'q', 'cart', warnings), undefined);
    assert.match(warnings[0]!, /q rises with load but its line over QPS does not hold/);
    assert.match(warnings[0]!, /ramp cart until q reaches its ceiling/);
    // Flat with load: no limit, nothing to fix.
    const flat = [100, 200, 300].map((qps) => ({ qps, gauges: { memory: 0.5 } }));
    const none: string[] = [];
    assert.equal(gaugeLimit(flat, 'memory', 'cart', none), undefined);
    assert.deepEqual(none, []);
  });

  it('binds the capacity when it is the lowest limit, naming the resource', async () => {
    const capacity = await computeCapacity({
      service: 'orders',
      cores: 1,
      slo: { p99Ms: 100, cpuCeiling: 0.8 },
      points: levels,
    });
    assert.equal(capacity.binding, 'gauge');
    assert.equal(capacity.resource, 'db_pool');
    assert.equal(capacity.qps, 250);
    assert.equal(capacity.lowerBound, false);
    assert.deepEqual(capacity.range, { low: 200, high: 300, basis: 'bracket' });
    assert.equal(capacity.limits.gauges.db_pool?.qps, 250);
  });

  it('names CPU when the CPU ceiling binds first', async () => {
    const capacity = await computeCapacity({
      service: 'orders',
      cores: 1,
      slo: { cpuCeiling: 0.1 },
      points: levels,
    });
    assert.equal(capacity.binding, 'slo');
    assert.equal(capacity.resource, 'CPU');
  });

  it("from runs: each level carries the mean of its seconds' gauge readings", () => {
    const row = (second: number, pool: number) => ({
      service: 'orders',
      instance: 'i1',
      second,
      intervalS: 1,
      requests: 100,
      cpuSeconds: 0.1,
      p50Ms: 5,
      p99Ms: 10,
      gauges: { db_pool: pool },
    });
    const { services } = measurementsFromRuns(
      [{ runId: 'r', targetMetrics: [row(1, 0.2), row(2, 0.4), row(3, 0.6)], steps: {} }],
      { slo: { p99Ms: 100 }, levelSeconds: 3 },
    );
    assert.ok(Math.abs(services.orders!.ramp[0]!.gauges!.db_pool! - 0.4) < 1e-9);
  });
});
