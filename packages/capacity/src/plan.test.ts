import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MachineCapacity } from './capacity.js';
import { costDrift } from './drift.js';
import type { FanoutFit } from './fanout.js';
import { Forecast } from './forecast.js';
import { capacityAtQuantile, planCapacity } from './plan.js';

function capacity(
  service: string,
  qps: number,
  extra: Partial<MachineCapacity> = {},
): MachineCapacity {
  return {
    service,
    qps,
    lowerBound: false,
    upperBoundQps: null,
    binding: 'slo',
    limits: { slo: { qps, breached: true, by: 'p99' }, usl: null, knee: null, gauges: {} },
    maxMeasuredQps: qps * 1.2,
    extrapolated: false,
    warnings: [],
    unmet: [],
    ...extra,
  };
}

function ratios(services: FanoutFit['services']): FanoutFit {
  return { entryKinds: ['order', 'view'], seconds: 600, services };
}

const fit = (order: number, view: number) => ({
  ratios: { order, view },
  r2: 0.99,
  refused: false,
});

describe('planCapacity', () => {
  it('GOLDEN: 19 000 QPS at 5 000 per machine, utilisation 1, N+2 → 6 machines', () => {
    const plan = planCapacity({
      forecast: { entries: { order: 19_000 }, utilisation: 1, redundancy: { default: 2 } },
      ratios: ratios({ api: fit(1, 0) }),
      capacities: [capacity('api', 5000)],
    });
    assert.equal(plan.services[0]!.requiredQps, 19_000);
    assert.equal(plan.services[0]!.machines, 6);
    assert.equal(plan.totalMachines, 6);
    assert.deepEqual(plan.unmet, []);
  });

  it('plans at a conservative quantile of each range, the median beside', () => {
    const bracket = capacity('api', 5000, { range: { low: 4000, high: 6000, basis: 'bracket' } });
    const interval = capacity('db', 1000, {
      binding: 'usl',
      range: { low: 804, high: 1196, basis: 'interval', standardError: 100, level: 0.95 },
    });
    // A bracket is linear from its low end through the point (the median) to its high end.
    assert.equal(capacityAtQuantile(bracket, 0.1), 4200);
    assert.equal(capacityAtQuantile(bracket, 0.5), 5000);
    assert.equal(capacityAtQuantile(bracket, 0.75), 5500);
    // An interval is normal around the point: q0.1 is 1.2816 standard errors below.
    assert.ok(Math.abs(capacityAtQuantile(interval, 0.1) - (1000 - 128.155)) < 1e-2);
    // No range: the point, whatever the quantile.
    assert.equal(capacityAtQuantile(capacity('x', 700), 0.1), 700);

    const forecast = { entries: { order: 19_000 }, utilisation: 1, redundancy: { default: 0 } };
    const plan = planCapacity({
      forecast,
      ratios: ratios({ api: fit(1, 0), db: fit(0.1, 0) }),
      capacities: [bracket, interval],
    });
    const [api, db] = plan.services;
    // api: 19 000 over 4 200 → 5 machines; at the median 5 000, 4.
    assert.deepEqual(
      [api!.quantile, api!.capacityQps, api!.machines, api!.medianMachines],
      [0.1, 4200, 5, 4],
    );
    assert.equal(api!.medianCapacityQps, 5000);
    assert.deepEqual(api!.capacityRange, bracket.range);
    // db: 1 900 over ~872 → 3; at the median 1 000, 2.
    assert.deepEqual([db!.machines, db!.medianMachines], [3, 2]);
    // The forecast may plan at the median itself.
    const median = planCapacity({
      forecast: { ...forecast, capacityQuantile: 0.5 },
      ratios: ratios({ api: fit(1, 0), db: fit(0.1, 0) }),
      capacities: [bracket, interval],
    });
    assert.deepEqual(
      median.services.map((s) => [s.machines, s.medianMachines]),
      [
        [4, 4],
        [2, 2],
      ],
    );
  });

  it('sums ratio × forecast, applies utilisation and per-service N+k, names the bottleneck', () => {
    const plan = planCapacity({
      forecast: {
        entries: { order: 2000, view: 15_000 },
        utilisation: 0.6,
        redundancy: { default: 2, payment: 3 },
      },
      ratios: ratios({ cart: fit(3, 0.5), payment: fit(1.2, 0) }),
      capacities: [capacity('cart', 2000), capacity('payment', 1000)],
    });
    const [cart, payment] = plan.services;
    // cart: 6 000 + 7 500 = 13 500 QPS over 1 200 per machine → 12 (+2); headroom 14 400/13 500.
    assert.equal(cart!.requiredQps, 13_500);
    assert.equal(cart!.machines, 14);
    // payment: 2 400 QPS over 600 → exactly 4 (+3); no headroom at all.
    assert.equal(payment!.machines, 7);
    assert.ok(Math.abs(payment!.headroom!) < 1e-12);
    assert.deepEqual(plan.bottleneck, { service: 'payment', headroom: payment!.headroom });
    assert.equal(plan.totalMachines, 21);
    // × 1.5: cart 20 250 / 1 200 → 17 (+2); payment 3 600 / 600 → 6 (+3).
    assert.deepEqual(plan.whatIf.growth.services, [
      { service: 'cart', machines: 19 },
      { service: 'payment', machines: 9 },
    ]);
    assert.equal(plan.whatIf.zoneDown, null);
  });

  it('one zone down: the remaining zones must carry the load', () => {
    const plan = planCapacity({
      forecast: {
        entries: { order: 19_000 },
        utilisation: 1,
        redundancy: { default: 2 },
        zones: 3,
      },
      ratios: ratios({ api: fit(1, 0) }),
      capacities: [capacity('api', 5000)],
    });
    // 6 machines over 3 zones lose 2, leaving 4 ≥ the 4 serving: survives. Needed: 2 per zone.
    assert.deepEqual(plan.whatIf.zoneDown, {
      zones: 3,
      services: [{ service: 'api', machines: 6, survives: true }],
      survives: true,
    });
    const tight = planCapacity({
      forecast: {
        entries: { order: 19_000 },
        utilisation: 1,
        redundancy: { default: 0 },
        zones: 2,
      },
      ratios: ratios({ api: fit(1, 0) }),
      capacities: [capacity('api', 5000)],
    });
    assert.deepEqual(tight.whatIf.zoneDown!.services, [
      { service: 'api', machines: 8, survives: false },
    ]);
  });

  it('lists what cannot be satisfied: refused ratios, lower bounds, missing inputs, unknown kinds', () => {
    const plan = planCapacity({
      forecast: {
        entries: { order: 1000, search: 50 },
        utilisation: 0.5,
        redundancy: { default: 1 },
      },
      ratios: ratios({
        cart: fit(2, 0),
        cron: {
          ratios: { order: 0.1, view: 0 },
          r2: 0.2,
          refused: true,
          reason: 'R² 0.200 is below 0.9',
        },
        ghost: fit(1, 0),
      }),
      capacities: [
        capacity('cart', 1000, { lowerBound: true }),
        capacity('cron', 500),
        capacity('db', 800, {
          unmet: ['USL fit poor, it does not bind: R² 0.095 < 0.9; to fix: ramp db past 150 QPS'],
        }),
      ],
    });
    const byService = Object.fromEntries(plan.services.map((s) => [s.service, s]));
    assert.equal(byService.cart!.machines, 5); // 2 000 over 500 (lower bound) + 1: an upper bound
    assert.match(byService.cart!.unmet[0]!, /lower bound \(> 1000/);
    assert.equal(byService.cron!.machines, null);
    assert.match(byService.cron!.unmet[0]!, /refused: R² 0\.200/);
    assert.match(byService.ghost!.unmet[0]!, /no per-machine capacity/);
    assert.match(byService.db!.unmet[0]!, /no fan-out ratios/);
    assert.match(byService.db!.unmet[1]!, /USL fit poor.*to fix: ramp db past 150 QPS/);
    assert.deepEqual(
      plan.unmet.map((u) => u.service),
      [null, 'cart', 'cron', 'db', 'db', 'ghost'],
    );
    assert.match(plan.unmet[0]!.reason, /search is forecast/);
  });

  it('plans with the latest cost when CPU per request drifted', () => {
    const drift = costDrift([
      { run: 'r1', cpuSecondsPerRequest: { api: 0.01 } },
      { run: 'r2', cpuSecondsPerRequest: { api: 0.0125 } },
    ]);
    const plan = planCapacity({
      forecast: { entries: { order: 19_000 }, utilisation: 1, redundancy: { default: 2 } },
      ratios: ratios({ api: fit(1, 0) }),
      capacities: [capacity('api', 5000)],
      drift,
    });
    // 5 000 × 0.01/0.0125 = 4 000 per machine → 5 + 2.
    assert.ok(Math.abs(plan.services[0]!.capacityQps! - 4000) < 1e-9);
    assert.equal(plan.services[0]!.machines, 7);
    assert.match(plan.services[0]!.warnings.join('\n'), /rose 25\.0%/);
  });
});

describe('Forecast', () => {
  it('parses the YAML shape and names the bad field', () => {
    const ok = Forecast.parse({
      entries: { order: 2000, view: 15_000 },
      utilisation: 0.6,
      redundancy: { default: 2, payment: 3 },
      zones: 3,
    });
    assert.equal(ok.redundancy.payment, 3);
    const bad = Forecast.safeParse({ entries: { order: 1 }, utilisation: 1.5, redundancy: {} });
    assert.equal(bad.success, false);
    const paths = bad.error!.issues.map((i) => i.path.join('.')).sort();
    assert.deepEqual(paths, ['redundancy.default', 'utilisation']);
  });
});
