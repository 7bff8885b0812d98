import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { measurementsFromRuns, type ScrapedRow, type StoredRun } from './from-runs.js';

const row = (second: number, requests: number, p99Ms: number, cpuSeconds: number): ScrapedRow => ({
  service: 'cart',
  instance: 'http://127.0.0.1:1/metrics',
  second,
  intervalS: 1,
  requests,
  cpuSeconds,
  p50Ms: p99Ms / 2,
  p99Ms,
});

describe('measurementsFromRuns', () => {
  it('turns a ramp of scraped seconds into load levels and mixed seconds into fan-out samples', () => {
    const targetMetrics: ScrapedRow[] = [];
    const order: Array<{ second: number; requests: number }> = [];
    for (let s = 0; s < 20; s++) {
      const level = 100 * (1 + Math.floor(s / 5)); // four levels of 5 s
      targetMetrics.push(row(1000 + s, level * 3, 10 + level / 10, level / 1000));
      order.push({ second: 1000 + s, requests: level });
    }
    const run: StoredRun = { runId: 'run_a', targetMetrics, steps: { order } };
    const m = measurementsFromRuns([run], { slo: { p99Ms: 50 }, cores: { cart: 2 } });
    const ramp = m.services.cart?.ramp ?? [];
    assert.deepEqual(
      ramp.map((p) => p.qps),
      [300, 600, 900, 1200],
    );
    assert.deepEqual(
      ramp.map((p) => p.p99Ms),
      [20, 30, 40, 50],
    );
    assert.equal(ramp[0]?.cpu, 0.1 / 2, 'CPU seconds per second over 2 cores');
    assert.deepEqual(
      ramp.map((p) => p.warmUp ?? false),
      [true, false, false, false],
      'the first level is the warm-up',
    );
    assert.equal(ramp[0]?.concurrency, undefined, 'no busy seconds scraped: QPS × p99 later');
    assert.equal(m.services.cart?.cores, 2);
    assert.equal(m.fanout.length, 18, 'the first and last seconds are cut');
    assert.deepEqual(m.fanout[0], { entries: { order: 100 }, calls: { cart: 300 } });
    assert.equal(m.run, 'run_a');
    assert.equal(m.costs, undefined, 'one run: no later cost sample');

    // A later run whose requests cost twice the CPU: a cost sample for drift.
    const later: StoredRun = {
      runId: 'run_b',
      targetMetrics: targetMetrics.map((r) => ({ ...r, cpuSeconds: r.cpuSeconds * 2 })),
      steps: { order },
    };
    const both = measurementsFromRuns([run, later], { slo: { p99Ms: 50 } });
    assert.equal(both.run, 'run_a', 'the ramp run names the model');
    const perRequest = both.costs?.[0]?.cpuSecondsPerRequest.cart ?? 0;
    assert.ok(Math.abs(perRequest - 2 / 3000) < 1e-12, `${perRequest}`);
  });

  it('skips windows without requests and seconds only one side saw', () => {
    const run: StoredRun = {
      runId: 'run_b',
      targetMetrics: [row(5, 0, -1, 0), row(6, 10, 5, -1), row(7, 10, 5, -1), row(8, 9, 5, -1)],
      steps: {
        view: [
          { second: 6, requests: 4 },
          { second: 7, requests: 5 },
          { second: 8, requests: 6 },
        ],
      },
    };
    const m = measurementsFromRuns([run], { slo: { p99Ms: 50 }, levelSeconds: 1 });
    assert.equal(m.services.cart?.ramp.length, 3);
    assert.equal(m.services.cart?.ramp[0]?.cpu, 0, 'no CPU counter: 0, not a guess');
    // Seconds both sides saw are 6, 7 and 8; the edges go, second 7 stays.
    assert.deepEqual(m.fanout, [{ entries: { view: 5 }, calls: { cart: 10 } }]);
  });
});
