import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StepResult } from '@loadline/api';
import type { ComparedRun } from './compare';
import { compareRuns, signedPercent } from './compare';

const step = (requests: number, errors: number, p99: number): StepResult => ({
  requests,
  errors,
  checksFailed: 0,
  latencyMs: { p50: 2, p90: 3, p99, p999: p99, max: p99 * 2 },
});

const run = (id: string, s: StepResult): ComparedRun => ({
  id,
  summary: {
    runId: id,
    scenario: 's',
    status: 'passed',
    passed: true,
    durationS: 1,
    agents: 1,
    intendedMix: {},
    achievedMix: {},
    total: s,
    steps: { list: s },
    late: 0,
    dropped: 0,
    thresholds: [],
  },
});

describe('compareRuns', () => {
  it('flags p99 and error-rate regressions beyond 10% against the first run', () => {
    const rows = compareRuns([run('a', step(100, 0, 10)), run('b', step(100, 1, 10.5))]);
    const b = rows.find((r) => r.step === 'list' && r.runId === 'b');
    assert.ok(b);
    assert.equal(b.cells.p99.regression, false, '5% slower is within tolerance');
    assert.equal(b.cells.errorRate.regression, true, 'errors rising from zero');
    const worse = compareRuns([run('a', step(100, 0, 10)), run('c', step(100, 0, 12))]);
    assert.equal(worse.find((r) => r.runId === 'c')?.cells.p99.regression, true);
    assert.equal(
      signedPercent(worse.find((r) => r.runId === 'c')?.cells.p99.delta ?? null),
      '+20.0%',
    );
  });
});
