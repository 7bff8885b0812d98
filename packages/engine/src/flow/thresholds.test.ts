import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GuardrailMonitor } from './guardrails.js';
import { StepTable } from './step-stats.js';
import { evaluateThresholds, stepTableSource } from './thresholds.js';

function table(): StepTable {
  const t = new StepTable();
  // list: 100 responses 1..100 ms, 2 of them 500s; detail: 50 responses of 200 ms.
  for (let ms = 1; ms <= 100; ms++) t.recordResponse('list', ms <= 98 ? 200 : 500, ms * 1000);
  for (let i = 0; i < 50; i++) t.recordResponse('detail', 200, 200_000);
  t.recordTransportError('detail', 'ECONNRESET');
  const cell = t.cell('list', '2xx');
  cell.checks = 98;
  cell.checksFailed = 7;
  t.counters.iterationsStarted.set('browse', 100);
  t.counters.dropped = 25;
  return t;
}

const flows = { browse: ['list', 'detail'], other: ['x'] };

describe('evaluateThresholds', () => {
  it('computes each metric from merged data', () => {
    const results = evaluateThresholds(
      {
        'latency{step:list}': ['p(99)<100', 'avg<50', 'max<=100.1', 'med<50'],
        latency: ['p(50)<50'],
        'errors{step:list}': ['rate<0.05', 'count==2'],
        errors: ['rate<0.01'],
        requests: ['count==151', 'rate>=15'],
        checks: ['rate>0.9'],
        iterations: ['count==100'],
        dropped: ['rate<0.3'],
        'latency{flow:other}': ['p(99)<1'],
      },
      stepTableSource(table(), flows, 10),
    );
    const byExpression = Object.fromEntries(
      results.map((r) => [r.expression, [r.passed, r.value]]),
    );
    assert.deepEqual(byExpression['latency{step:list}: p(99)<100'], [true, 99.007]);
    const avg = byExpression['latency{step:list}: avg<50'];
    assert.equal(avg?.[0], false);
    assert.ok(Math.abs((avg?.[1] as number) - 50.5) < 0.05, `avg ${avg?.[1]}`);
    assert.equal(byExpression['latency{step:list}: max<=100.1']?.[0], true);
    assert.equal(byExpression['latency{step:list}: med<50']?.[0], false);
    assert.equal(
      byExpression['latency: p(50)<50']?.[0],
      false,
      '150 responses, median is in list 51..100 or detail',
    );
    assert.deepEqual(byExpression['errors{step:list}: rate<0.05'], [true, 0.02]);
    assert.deepEqual(byExpression['errors{step:list}: count==2'], [true, 2]);
    assert.deepEqual(
      byExpression['errors: rate<0.01'],
      [false, 0.019868],
      '2 × 500 + 1 reset of 151',
    );
    assert.deepEqual(byExpression['requests: count==151'], [true, 151]);
    assert.deepEqual(byExpression['requests: rate>=15'], [true, 15.1]);
    assert.deepEqual(byExpression['checks: rate>0.9'], [true, 0.928571], 'k6: the passing share');
    assert.deepEqual(byExpression['iterations: count==100'], [true, 100]);
    assert.deepEqual(byExpression['dropped: rate<0.3'], [true, 0.2]);
    assert.deepEqual(byExpression['latency{flow:other}: p(99)<1'], [false, null], 'no data fails');
  });
});

describe('GuardrailMonitor', () => {
  it('trips only after the condition held for the whole window', () => {
    const monitor = new GuardrailMonitor([{ metric: 'errors', for: '3s', rate: '>0.5' }]);
    const bad = new StepTable();
    for (let i = 0; i < 10; i++) bad.recordResponse('a', 503, 1000);
    const good = new StepTable();
    for (let i = 0; i < 10; i++) good.recordResponse('a', 200, 1000);
    const src = (t: StepTable) => stepTableSource(t, {}, 1);
    assert.equal(monitor.observe(src(bad), 1000, 1000), undefined);
    assert.equal(monitor.observe(src(bad), 2000, 1000), undefined);
    assert.equal(monitor.observe(src(good), 3000, 1000), undefined, 'a good second resets');
    assert.deepEqual(monitor.state(3000), [
      { guardrail: 'errors rate>0.5 for 3s', value: 0, holdingForS: 0, forS: 3 },
    ]);
    assert.equal(monitor.observe(src(bad), 4000, 1000), undefined);
    assert.equal(monitor.observe(src(bad), 5000, 1000), undefined);
    assert.equal(monitor.state(5000)[0]?.holdingForS, 2, 'holding since the start of 4000');
    assert.equal(monitor.state(5000)[0]?.value, 1);
    const trip = monitor.observe(src(bad), 6000, 1000);
    assert.ok(trip);
    assert.equal(trip.guardrail, 'errors rate>0.5 for 3s');
    assert.equal(trip.value, 1);
    assert.equal(trip.heldForS, 3);
  });
});
