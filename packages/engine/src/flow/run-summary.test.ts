import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SATURATION_LIMITS, type GeneratorCheck, RunSummary } from '@loadline/api';
import {
  buildRunSummary,
  intendedMixOf,
  type RunOutcome,
  type RunSummaryInput,
  runVerdict,
  sharesOf,
  startedByFirstStep,
} from './run-summary.js';

const latencyMs = { p50: 1, p90: 2, p99: 3, p999: 4, max: 5 };
const held = [{ expression: 'errors: rate<0.1', passed: true, value: 0 }];
const broken = [{ expression: 'errors: rate<0.1', passed: false, value: 0.5 }];

function input(outcome: RunOutcome, thresholds = held): RunSummaryInput {
  return {
    runId: 'r1',
    scenario: 'shop',
    outcome,
    durationS: 1.23456,
    agents: 2,
    results: {
      total: { requests: 3, errors: 0, latencyMs },
      steps: { home: { requests: 3, errors: 0, checksFailed: 0, latencyMs } },
      late: 0,
      dropped: 0,
    },
    thresholds,
    intendedMix: { browse: 2 / 3, buy: 1 / 3 },
    achievedMix: { browse: 1, buy: 0 },
  };
}

describe('run verdict', () => {
  it('passes only a completed run whose thresholds held', () => {
    assert.deepEqual(runVerdict('completed', held), { status: 'passed', passed: true });
    assert.deepEqual(runVerdict('completed', broken), { status: 'failed', passed: false });
    for (const outcome of ['degraded', 'aborted', 'error'] as const) {
      assert.deepEqual(runVerdict(outcome, held), { status: outcome, passed: false });
    }
  });

  it('makes a run that ran with a saturated generator invalid, whatever its thresholds', () => {
    const saturated: GeneratorCheck = {
      limits: DEFAULT_SATURATION_LIMITS,
      agents: [],
      saturated: [
        {
          agentId: 'a1',
          fromSecond: 10,
          toSecond: 14,
          seconds: 5,
          lateShare: 0.9,
          eventLoopDelayP99Ms: 3,
          cpu: 1,
          sentPerSecond: 37_000,
        },
      ],
      hint: 'more agents',
    };
    for (const outcome of ['completed', 'degraded'] as const) {
      assert.deepEqual(runVerdict(outcome, held, saturated), { status: 'invalid', passed: false });
    }
    // Stopped or never started says so first; the check still travels with the summary.
    assert.equal(runVerdict('aborted', held, saturated).status, 'aborted');
    assert.equal(runVerdict('error', held, saturated).status, 'error');
    const summary = buildRunSummary({ ...input('completed'), generator: saturated });
    assert.deepEqual(RunSummary.parse(summary), summary);
    assert.equal(summary.status, 'invalid');
    assert.equal(summary.passed, false);
    assert.deepEqual(summary.thresholds, [{ ...held[0], untrustworthy: true }]);
    assert.deepEqual(summary.generator, saturated);
    // Generators that kept up change nothing.
    const fine = buildRunSummary({
      ...input('completed'),
      generator: { ...saturated, saturated: [] },
    });
    assert.equal(fine.status, 'passed');
    assert.deepEqual(fine.thresholds, held);
  });

  it('never reports passed beside a run that failed to start', () => {
    const summary = buildRunSummary(input('error', []));
    assert.equal(summary.status, 'error');
    assert.equal(summary.passed, false);
  });
});

describe('buildRunSummary', () => {
  it('builds the RunSummary shape, figures rounded', () => {
    const summary = buildRunSummary({ ...input('completed'), abortReason: undefined });
    assert.deepEqual(RunSummary.parse(summary), summary);
    assert.equal(summary.durationS, 1.235);
    assert.deepEqual(summary.intendedMix, { browse: 0.667, buy: 0.333 });
    assert.equal(summary.status, 'passed');
    assert.equal('abortReason' in summary, false);
  });

  it('reads mixes from weights and first-step requests', () => {
    const flows = [
      { name: 'browse', weight: 3, steps: [{ name: 'home' }, { name: 'item' }] },
      { name: 'buy', weight: 1, steps: [{ name: 'cart' }] },
    ];
    assert.deepEqual(intendedMixOf(flows), { browse: 0.75, buy: 0.25 });
    const requests: Record<string, number> = { home: 30, item: 29, cart: 10 };
    assert.deepEqual(sharesOf(startedByFirstStep(flows, (step) => requests[step] ?? 0)), {
      browse: 0.75,
      buy: 0.25,
    });
    assert.deepEqual(sharesOf({ a: 0, b: 0 }), { a: 0, b: 0 });
  });
});
