import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { K6Metrics } from '@loadline/api';
import { K6ExitCode, k6Ending } from './exit-codes.js';
import { K6FleetJudge, mergeMetrics } from './fleet.js';
import { MetricRegistry } from './metrics.js';

/** One agent's metrics as they reach control: through JSON and the message schema. */
function shipped(registry: MetricRegistry, extra: Partial<K6Metrics> = {}): K6Metrics {
  const metrics = {
    elapsedMs: 3000,
    metrics: registry.snapshot(),
    checks: [],
    groups: [''],
    ...extra,
  };
  return K6Metrics.parse(JSON.parse(JSON.stringify(metrics)));
}

function agentWith(durations: number[], filter?: Record<string, string>) {
  const registry = new MetricRegistry();
  if (filter) registry.watch('http_req_duration', filter);
  for (const [i, d] of durations.entries()) {
    registry.get('http_req_duration')?.add(d, { status: i % 2 === 0 ? '200' : '500' });
    registry.get('http_reqs')?.add(1, {});
  }
  return registry;
}

describe('mergeMetrics', () => {
  it('merges histograms exactly: percentiles of the union, never averaged percentiles', () => {
    const fast = Array.from({ length: 900 }, (_, i) => 1 + (i % 10));
    const slow = Array.from({ length: 100 }, (_, i) => 500 + i);
    const merged = mergeMetrics([shipped(agentWith(fast)), shipped(agentWith(slow))]);
    const whole = agentWith([...fast, ...slow]);
    for (const p of [50, 90, 95, 99]) {
      assert.equal(
        merged.registry.aggregate('http_req_duration', {}, { kind: 'p', percentile: p }, 3000),
        whole.aggregate('http_req_duration', {}, { kind: 'p', percentile: p }, 3000),
        `p(${p})`,
      );
    }
    // Averaging the agents' p(95)s would say ~260 ms; the fleet's p(95) is in the slow tail.
    const p95 = merged.registry.aggregate(
      'http_req_duration',
      {},
      { kind: 'p', percentile: 95 },
      1,
    );
    assert.ok((p95 ?? 0) >= 500, `p95 ${p95}`);
    assert.equal(merged.registry.aggregate('http_reqs', {}, { kind: 'count' }, 3000), 1000);
    assert.equal(merged.registry.aggregate('http_req_duration', {}, { kind: 'min' }, 1), 1);
    assert.equal(merged.registry.aggregate('http_req_duration', {}, { kind: 'max' }, 1), 599);
  });

  it('keeps submetrics apart, and an agent without samples changes nothing (min/max null)', () => {
    const a = agentWith([10, 20, 30, 40], { status: '200' });
    const idle = new MetricRegistry();
    idle.watch('http_req_duration', { status: '200' });
    const merged = mergeMetrics([shipped(a), shipped(idle)]);
    assert.equal(
      merged.registry.aggregate('http_req_duration', { status: '200' }, { kind: 'count' }, 1),
      2,
    );
    assert.equal(
      merged.registry.aggregate('http_req_duration', { status: '200' }, { kind: 'max' }, 1),
      30,
    );
    assert.equal(merged.registry.aggregate('http_req_duration', {}, { kind: 'min' }, 1), 10);
  });

  it("adds checks by group, groups, custom metrics; sums the agents' VUs; takes the longest elapsed", () => {
    const a = new MetricRegistry();
    a.define('orders', 'counter').add(3, {});
    a.get('vus')?.add(2, {});
    const b = new MetricRegistry();
    b.define('orders', 'counter').add(4, {});
    b.get('vus')?.add(3, {});
    const merged = mergeMetrics([
      shipped(a, { checks: [['::buy', 'ok', 5, 1]], groups: ['', '::buy'], elapsedMs: 2000 }),
      shipped(b, {
        checks: [
          ['::buy', 'ok', 2, 0],
          ['', 'up', 1, 0],
        ],
        elapsedMs: 3500,
      }),
    ]);
    assert.equal(merged.registry.aggregate('orders', {}, { kind: 'count' }, 1), 7);
    assert.equal(merged.registry.aggregate('vus', {}, { kind: 'value' }, 1), 5);
    assert.deepEqual(merged.checks.get('::buy')?.get('ok'), { passes: 7, fails: 1 });
    assert.deepEqual(merged.checks.get('')?.get('up'), { passes: 1, fails: 0 });
    assert.deepEqual(merged.groups, ['', '::buy']);
    assert.equal(merged.elapsedMs, 3500);
  });
});

describe('K6FleetJudge', () => {
  const options = {
    scenarios: { s: { executor: 'constant-vus', vus: 4, duration: '10s' } },
    thresholds: {
      http_req_duration: [{ threshold: 'p(95)<100', abortOnFail: true }],
      'http_req_duration{status:200}': ['max<1000'],
    },
  };

  it('plans from the options and judges thresholds on every agent merged', () => {
    const judge = new K6FleetJudge({ options, overrides: {}, thresholds: true });
    assert.equal(judge.maxVus, 4);
    assert.equal(judge.durationMs, 10_000 + 30_000, 'duration and the default gracefulStop');
    const fast = shipped(agentWith([5, 6, 7, 8], { status: '200' }));
    assert.equal(judge.judge(mergeMetrics([fast]), false).abort, undefined);
    const slow = shipped(agentWith([300, 400, 500, 600], { status: '200' }));
    const verdict = judge.judge(mergeMetrics([fast, slow]), false);
    assert.equal(verdict.abort?.key, 'http_req_duration');
    const summary = judge.summary(mergeMetrics([fast, slow]), verdict);
    assert.deepEqual(summary.metrics.http_req_duration?.thresholds, { 'p(95)<100': { ok: false } });
    assert.ok(summary.metrics['http_req_duration{status:200}']);
    // --no-thresholds: nothing judged.
    const none = new K6FleetJudge({ options, overrides: {}, thresholds: false });
    assert.equal(none.judging, false);
    assert.deepEqual(none.judge(mergeMetrics([slow]), true).outcomes, []);
  });

  it('refuses options k6 refuses', () => {
    assert.throws(
      () =>
        new K6FleetJudge({
          options: { scenarios: { s: { executor: 'constant-arrival-rate', rate: 0 } } },
          overrides: {},
          thresholds: true,
        }),
      /rate/,
    );
  });
});

describe('k6Ending', () => {
  const passed = { outcomes: [], passed: true, abort: undefined };
  const failed = {
    outcomes: [
      {
        key: 'checks',
        source: 'rate==1',
        ok: false,
        observed: 0.5,
        abortOnFail: false,
      },
    ],
    passed: false,
    abort: undefined,
  };
  const base = {
    saturated: false,
    runner: "an agent's runner",
    scripts: [],
    thresholdAbort: undefined,
    stopped: undefined,
  };

  it("decides k6's exit code, first cause first", () => {
    assert.equal(k6Ending({ ...base, verdict: passed }).exitCode, 0);
    assert.equal(k6Ending({ ...base, verdict: failed }).exitCode, 99);
    assert.deepEqual(
      k6Ending({ ...base, saturated: true, saturationHint: 'late 40 %', verdict: failed }),
      {
        exitCode: 5,
        reason:
          "INVALID: an agent's runner could not keep up, so these figures describe it, not the target: late 40 %",
      },
    );
    assert.equal(k6Ending({ ...base, stopped: 'stop button', verdict: passed }).exitCode, 105);
    const shards = [
      { exitCode: K6ExitCode.testFailed, reason: 'marked failed' },
      { exitCode: K6ExitCode.scriptAborted, reason: 'enough' },
    ];
    // An agent's exec.test.abort() stopped the run: 108, not the stop it caused.
    assert.deepEqual(
      k6Ending({ ...base, scripts: shards, stopped: 'agent a: enough', verdict: failed }),
      { exitCode: 108, reason: 'enough' },
    );
    assert.equal(
      k6Ending({ ...base, scripts: [shards[0] as never], verdict: passed }).exitCode,
      110,
    );
    assert.equal(
      k6Ending({ ...base, scripts: [shards[0] as never], verdict: failed }).exitCode,
      99,
      'thresholds before exec.test.fail()',
    );
    const abort = failed.outcomes[0];
    assert.equal(
      k6Ending({ ...base, thresholdAbort: abort, stopped: 'thresholds', verdict: failed }).exitCode,
      99,
    );
  });
});
