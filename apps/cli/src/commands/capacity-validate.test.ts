import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IntervalBuckets, TargetMetricRow } from '@loadline/metrics';
import { predictions, verdicts } from './capacity-validate.js';

const INF = Number.POSITIVE_INFINITY;

/** One instance-second of catalog: `fast` requests under 10 ms, `slow` ones under 1 s. */
function second(at: number, fast: number, slow: number) {
  const row: TargetMetricRow = {
    runId: 'validate',
    service: 'catalog',
    instance: 'http://127.0.0.1:1/metrics',
    second: at,
    intervalS: 1,
    requests: fast + slow,
    cpuSeconds: 0.1,
    p50Ms: 5,
    p99Ms: slow / (fast + slow) > 0.01 ? 900 : 9,
  };
  const buckets: IntervalBuckets = {
    service: 'catalog',
    instance: row.instance,
    second: at,
    buckets: new Map([
      [0.01, fast],
      [1, fast + slow],
      [INF, fast + slow],
    ]),
  };
  return { row, buckets };
}

function observe(seconds: ReturnType<typeof second>[]) {
  return { rows: seconds.map((s) => s.row), buckets: seconds.map((s) => s.buckets) };
}

const catalog = [{ service: 'catalog', cores: 1, slo: { p99Ms: 100 } }];

describe('capacity validate verdicts', () => {
  it('judges the p99 of all requests: one busy slow second among many quiet ones fails', () => {
    // 200 quiet seconds of 10 fast requests; one of 10 000 with 500 slow. The per-second
    // p99s are 200 × 9 ms and one 900 ms, and their p99 is 9 ms; of the 12 000 requests,
    // 500 (4%) took up to a second.
    const seconds = Array.from({ length: 200 }, (_, i) => second(1000 + i, 10, 0));
    seconds.push(second(1200, 9500, 500));
    const [verdict] = verdicts(catalog, { catalog: 2 }, observe(seconds));
    assert.ok(verdict);
    assert.ok(verdict.p99Ms !== null && verdict.p99Ms > 100, `p99 ${verdict.p99Ms}`);
    assert.equal(verdict.held, false);
    assert.equal(verdict.instances, 2);
  });

  it('holds when the slow requests are fewer than 1% of all, however slow their second', () => {
    // Nine busy fast seconds and one quiet second whose every request was slow: 5 of 9 005.
    const seconds = Array.from({ length: 9 }, (_, i) => second(1000 + i, 1000, 0));
    seconds.push(second(1009, 0, 5));
    const [verdict] = verdicts(catalog, {}, observe(seconds));
    assert.ok(verdict);
    assert.ok(verdict.p99Ms !== null && verdict.p99Ms <= 10, `p99 ${verdict.p99Ms}`);
    assert.equal(verdict.held, true);
    assert.ok(Math.abs((verdict.cpu as number) - 0.1) < 1e-12);
  });

  it('has no latency to judge for a service nothing was scraped of', () => {
    const [verdict] = verdicts(catalog, {}, { rows: [], buckets: [] });
    assert.deepEqual(verdict, {
      service: 'catalog',
      instances: 1,
      p99Ms: null,
      sloP99Ms: 100,
      cpu: null,
      cpuCeiling: null,
      held: true,
      predictedQpsPerInstance: null,
      measuredQpsPerInstance: null,
      predictedCpu: null,
      cpuError: null,
    });
  });

  it('sets the measured CPU beside what the model predicted at the planned load', () => {
    // The model: CPU 0.1 + 0.001 × QPS. The plan: 600 QPS over 3 instances, 200 each → 0.3.
    const ramp = [100, 200, 300, 400].map((qps) => ({ qps, p99Ms: 5, cpu: 0.1 + qps / 1000 }));
    const predicted = predictions([{ service: 'catalog', ramp }], { catalog: 600 }, { catalog: 3 });
    assert.equal(predicted.catalog?.qpsPerInstance, 200);
    assert.ok(Math.abs(predicted.catalog!.cpu! - 0.3) < 1e-9);
    // Measured 0.1 CPU seconds a second on one core: a third below the prediction.
    const seconds = Array.from({ length: 5 }, (_, i) => second(1000 + i, 200, 0));
    const [verdict] = verdicts(catalog, { catalog: 3 }, observe(seconds), predicted);
    assert.equal(verdict?.measuredQpsPerInstance, 200);
    assert.ok(Math.abs(verdict!.cpuError! - (0.1 - 0.3) / 0.3) < 1e-9, String(verdict?.cpuError));
  });
});
