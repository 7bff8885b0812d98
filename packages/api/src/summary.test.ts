import assert from 'node:assert/strict';
import { test } from 'node:test';
import { storedRunSummary } from './summary.js';

const latencyMs = { p50: 4, p90: 9, p99: 20, p999: 40, max: 80 };
const older = {
  status: 'passed',
  passed: true,
  durationS: -0.4,
  agents: 1,
  total: { requests: 10, errors: 0, latencyMs },
  steps: {},
  thresholds: [],
};

test('a summary stored by an older version reads back with its defaults', () => {
  const summary = storedRunSummary(older, { id: 'run_1', scenario: 'nightly' });
  assert.equal(summary.runId, 'run_1');
  assert.equal(summary.scenario, 'nightly');
  assert.equal(summary.durationS, 0, 'a negative duration reads as 0');
  assert.deepEqual([summary.late, summary.dropped], [0, 0]);
  assert.deepEqual(summary.intendedMix, {});
});

test('a stored summary that is not a summary is refused, naming the field', () => {
  assert.throws(
    () => storedRunSummary({ ...older, status: 'great' }, { id: 'run_1', scenario: 's' }),
    /status/,
  );
});
