import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type FanoutSecond, fitFanout } from './fanout.js';
import { gaussian, relativeError } from './testing.js';

const truth = {
  cart: { order: 3, view: 0.5 },
  payment: { order: 1.2, view: 0 },
  catalog: { order: 4, view: 1 },
};

/** A 10-minute mixed test: order and view rates vary independently, 2% call noise. */
function traffic(seconds: number, seed = 11): FanoutSecond[] {
  const next = gaussian(seed);
  return Array.from({ length: seconds }, (_, t) => {
    const order = 400 + 300 * Math.sin(t / 9) + 20 * next();
    const view = 1500 + 900 * Math.cos(t / 23) + 100 * next();
    const calls = Object.fromEntries(
      Object.entries(truth).map(([service, r]) => [
        service,
        Math.max(0, (r.order * order + r.view * view) * (1 + 0.02 * next())),
      ]),
    );
    return { entries: { order, view }, calls };
  });
}

describe('fitFanout', () => {
  it('recovers per-entry ratios within 2% from noisy per-second rates', () => {
    const fit = fitFanout(traffic(600));
    assert.deepEqual(fit.entryKinds, ['order', 'view']);
    for (const [service, expected] of Object.entries(truth)) {
      const got = fit.services[service]!;
      assert.equal(got.refused, false, `${service}: ${got.reason}`);
      assert.ok(got.r2 > 0.99, `${service} R² ${got.r2}`);
      for (const [kind, ratio] of Object.entries(expected)) {
        const actual = got.ratios[kind]!;
        if (ratio === 0) assert.ok(actual < 0.02 * 1.2, `${service}.${kind} ${actual}`);
        else
          assert.ok(
            relativeError(actual, ratio) < 0.02,
            `${service}.${kind} ${actual} vs ${ratio}`,
          );
      }
    }
    // Non-negative even where noise would pull an unconstrained fit below zero.
    assert.ok(fit.services.payment!.ratios.view! >= 0);
  });

  it('refuses a service whose calls do not follow the entries (R² below the minimum)', () => {
    const next = gaussian(3);
    const seconds = traffic(600).map((s) => ({
      ...s,
      calls: { ...s.calls, cron: 500 + 400 * next() },
    }));
    const fit = fitFanout(seconds);
    assert.equal(fit.services.cron!.refused, true);
    assert.match(fit.services.cron!.reason!, /R² .* below 0\.9/);
    assert.equal(fit.services.cart!.refused, false);
  });

  it('keeps a tight fit whose calls hardly vary, where R² says nothing', () => {
    // Both entry kinds call the gateway twice: its calls track the total, which is steady.
    const seconds: FanoutSecond[] = Array.from({ length: 40 }, (_, i) => {
      const order = i < 20 ? 10 : 30;
      const view = 40 - order + (i % 2);
      return { entries: { order, view }, calls: { gateway: 2 * (order + view) + (i % 3) - 1 } };
    });
    const fit = fitFanout(seconds);
    const gateway = fit.services.gateway!;
    assert.ok(gateway.r2 < 0.9, `R² ${gateway.r2}`);
    assert.ok((gateway.relativeError ?? 1) < 0.05, `relative error ${gateway.relativeError}`);
    assert.equal(gateway.refused, false);
    assert.ok(
      Math.abs(gateway.ratios.order! - 2) < 0.1 && Math.abs(gateway.ratios.view! - 2) < 0.1,
    );
  });

  it('refuses every service with too few seconds', () => {
    const fit = fitFanout(traffic(8));
    assert.ok(Object.values(fit.services).every((s) => s.refused));
    assert.match(fit.services.cart!.reason!, /only 8 seconds/);
  });

  it('refuses when the entry mix never varies, so ratios cannot be told apart', () => {
    const seconds = traffic(600).map((s) => ({
      ...s,
      entries: { order: s.entries.order!, view: 7.5 * s.entries.order! },
    }));
    const fit = fitFanout(seconds);
    assert.equal(fit.services.cart!.refused, true);
    assert.match(fit.services.cart!.reason!, /moves in step/);
  });
});
