import { buildModel } from './build-model.js';
import type { Forecast } from './forecast.js';
import type { Measurements } from './measurements.js';
import type { CapacityModel } from './model.js';
import type { Plan } from './plan.js';
import { planFromModel } from './plan-model.js';

/** Seeded randomness for tests: noise that is the same on every run (mulberry32 + Box–Muller). */
export function gaussian(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

export function relativeError(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.abs(expected);
}

/**
 * Measurements for tests, with numbers that can be checked by hand:
 * - cart, 4 cores, p99 SLO 200 ms breached between 2 500 (120 ms) and 3 000 QPS (240 ms):
 *   the SLO binds at 2 500 + 500 × 80/120 ≈ 2 833 QPS per machine.
 * - payment, 2 cores, CPU 0.05 + 0.0003 × QPS: the 2-core knee (3^-½ ≈ 0.577) binds at
 *   ≈ 1 758 QPS, below the p99 SLO's 2 250.
 * - both ramped in ≥ 6 levels, the fewest a USL fit binds on (fewer leaves the plan unmet).
 * - fan-out over 40 s of varying mix: cart = 3 × order + 0.5 × view, payment = 1.2 × order.
 */
export function sampleMeasurements(): Measurements {
  const cartP99 = [40, 50, 60, 80, 120, 240, 400];
  const paymentP99 = [60, 90, 150, 250, 350, 480];
  const fanout = Array.from({ length: 40 }, (_, t) => {
    const order = 100 + 40 * Math.sin(t / 3);
    const view = 800 + 300 * Math.cos(t / 5);
    // A little deterministic jitter, so R² is high but not a suspicious 1.
    const jitter = 1 + 0.01 * Math.sin(t * 7.3);
    return {
      entries: { order, view },
      calls: { cart: (3 * order + 0.5 * view) * jitter, payment: 1.2 * order * jitter },
    };
  });
  return {
    run: 'run-ramp',
    services: {
      cart: {
        cores: 4,
        slo: { p99Ms: 200 },
        ramp: cartP99.map((p99Ms, i) => {
          const qps = 500 * (i + 1);
          return { qps, p99Ms, cpu: 0.02 + 0.0002 * qps, concurrency: qps * 0.01 * (1 + i * 0.3) };
        }),
      },
      payment: {
        cores: 2,
        slo: { p99Ms: 300 },
        ramp: paymentP99.map((p99Ms, i) => {
          const qps = 500 * (i + 1);
          return { qps, p99Ms, cpu: 0.05 + 0.0003 * qps, concurrency: qps * 0.02 * (1 + i * 0.4) };
        }),
      },
    },
    fanout,
  };
}

/**
 * Carried at 60 %: cart needs ≈ 3 × 2 000 + 0.5 × 15 000 = 13 500 QPS over 1 700 per machine
 * → 8 + 2 spares = 10; payment ≈ 1.2 × 2 000 = 2 400 over 1 055 → 3 + 3 = 6; 16 in all.
 */
export const SAMPLE_FORECAST: Forecast = {
  entries: { order: 2000, view: 15_000 },
  utilisation: 0.6,
  redundancy: { default: 2, payment: 3 },
  zones: 3,
  // At the median, so the counts above can be checked by hand (the default, 0.1, plans cart
  // at 2 567 QPS, a tenth of the way from the 2 500 that held to the 2 833 point: 11 machines).
  capacityQuantile: 0.5,
};

let sample: Promise<{ model: CapacityModel; plan: Plan }> | undefined;

/** The sample model (fitted once per process: the USL fit loads tfjs) and its plan. */
export function samplePlan(): Promise<{ model: CapacityModel; plan: Plan }> {
  sample ??= buildModel(sampleMeasurements(), {
    source: 'sample.json',
    defaultRun: 'sample',
    now: new Date('2025-01-02T03:04:05.000Z'),
  }).then((model) => ({ model, plan: planFromModel(model, SAMPLE_FORECAST) }));
  return sample;
}
