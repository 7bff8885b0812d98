import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TimeSeriesPoint } from '@loadline/store';
import { slowestAgents } from './live-series.js';

const point = (second: number, p99: number, late = 0): TimeSeriesPoint => ({
  second,
  requests: 10,
  errors: 0,
  p50: 1,
  p90: 2,
  p99,
  max: p99,
  late,
  dropped: 0,
});

test('a live event carries every agent up to the limit, then the slowest by their newest p99', () => {
  const agents: Record<string, TimeSeriesPoint[]> = {};
  for (let i = 0; i < 200; i++) {
    // the newest second decides: agent-7 was slow before, fast now
    agents[`agent-${i}`] = [point(100, i === 7 ? 999 : i % 50), point(101, i % 50)];
  }
  agents['agent-late'] = [point(101, 49, 30)];
  assert.equal(slowestAgents(agents, 500), agents);
  const shown = slowestAgents(agents, 5);
  assert.deepEqual(Object.keys(shown), [
    'agent-late',
    'agent-149',
    'agent-199',
    'agent-49',
    'agent-99',
  ]);
  assert.deepEqual(shown['agent-49'], agents['agent-49']);
});
