import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareRuns, signedPercent } from './compare';
import type { Run, StepSummary } from './types';

const step = (requests: number, errors: number, p99: number): StepSummary => ({
  requests,
  errors,
  latencyMs: { min: 1, mean: 2, p50: 2, p90: 3, p99, p999: p99, max: p99 * 2 },
});

const run = (id: string, s: StepSummary): Run => ({
  id,
  scenario: 's',
  scenarioVersion: 1,
  environment: 'local',
  status: 'passed',
  agentsRequested: 1,
  createdAt: '2026-01-01T00:00:00Z',
  startedAt: null,
  endedAt: null,
  passed: true,
  abortReason: null,
  summary: {
    status: 'passed',
    passed: true,
    durationS: 1,
    agents: 1,
    total: s,
    steps: { list: s },
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
