import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MachineCapacity } from './capacity.js';
import { CapacityModel } from './model.js';

const capacity = (service: string): MachineCapacity => ({
  service,
  qps: 1000,
  lowerBound: false,
  upperBoundQps: null,
  binding: 'slo',
  limits: { slo: { qps: 1000, breached: true, by: 'p99' }, usl: null, knee: null, gauges: {} },
  maxMeasuredQps: 1200,
  extrapolated: false,
  warnings: [],
  unmet: [],
});

const service = (name: string, capacityOf = name) => ({
  service: name,
  cores: 4,
  slo: { p99Ms: 200 },
  capacity: capacity(capacityOf),
  ramp: [{ qps: 1000, p99Ms: 150, cpu: 0.5 }],
  usl: {
    sigma: 0.02,
    kappa: 0.0001,
    lambda: 100,
    r2: 0.99,
    points: [{ concurrency: 10, throughput: 900 }],
  },
  cpu: null,
});

const model = (services: unknown[]) => ({
  version: 1,
  provenance: { runs: ['r1'], source: 'm.json', createdAt: '2025-01-02T03:04:05.000Z' },
  services,
  fanout: { entryKinds: ['order'], seconds: 60, services: {} },
  costHistory: [{ run: 'r1', cpuSecondsPerRequest: { cart: 0.001 } }],
});

describe('CapacityModel', () => {
  it('round-trips through JSON', () => {
    const parsed = CapacityModel.parse(JSON.parse(JSON.stringify(model([service('cart')]))));
    assert.equal(parsed.services[0]!.capacity.qps, 1000);
    assert.equal(parsed.services[0]!.usl!.points[0]!.throughput, 900);
  });

  it('rejects another version, a capacity of another service and a service listed twice', () => {
    assert.equal(CapacityModel.safeParse({ ...model([]), version: 2 }).success, false);
    const issues = (m: unknown) =>
      CapacityModel.safeParse(m).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    assert.deepEqual(issues(model([service('cart', 'payment')])), [
      'services.0.capacity.service: is "payment" but the service is "cart"',
    ]);
    assert.deepEqual(issues(model([service('cart'), service('cart')])), [
      'services.1.service: "cart" appears twice',
    ]);
  });
});
