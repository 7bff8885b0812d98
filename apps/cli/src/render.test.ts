import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunReport } from '@loadline/engine';
import { createLatencyHistogram, decodeHistogram, recordLatencyUs } from '@loadline/histogram';
import { benchJson, finalTable } from './render.js';

function report(overrides: Partial<RunReport> = {}): RunReport {
  const histogram = createLatencyHistogram();
  for (let ms = 1; ms <= 100; ms++) recordLatencyUs(histogram, ms * 1000);
  return {
    model: 'open',
    startedAtMs: Date.UTC(2026, 10, 23, 12),
    endedAtMs: Date.UTC(2026, 10, 23, 12, 0, 10),
    durationS: 10,
    scheduled: 100,
    requests: 100,
    errors: 3,
    late: 2,
    dropped: 1,
    targetRps: 10,
    achievedRps: 10,
    statusCodes: { '200': 97, '500': 3 },
    transportErrors: {},
    histogram,
    peakConnections: 3,
    aborted: false,
    ...overrides,
  };
}

describe('benchJson', () => {
  it('has the documented shape and a histogram that decodes to the same data', () => {
    const json = benchJson(report());
    for (const key of [
      'requests',
      'errors',
      'late',
      'dropped',
      'durationS',
      'targetRps',
      'achievedRps',
      'latencyMs',
      'statusCodes',
      'histogram',
    ]) {
      assert.ok(key in json, key);
    }
    assert.deepEqual(Object.keys(json.latencyMs).sort(), [
      'max',
      'mean',
      'min',
      'p50',
      'p90',
      'p99',
      'p999',
    ]);
    assert.ok(Math.abs(json.latencyMs.p99 - 99) < 0.1, `${json.latencyMs.p99}`);
    assert.ok(Math.abs(json.latencyMs.mean - 50.5) < 0.1, `${json.latencyMs.mean}`);
    assert.equal(decodeHistogram(json.histogram).totalCount, 100);
    assert.equal(json.startedAt, '2026-11-23T12:00:00.000Z');
  });

  it('reports a null target rate for the closed model', () => {
    assert.equal(benchJson(report({ model: 'closed', targetRps: null })).targetRps, null);
  });
});

describe('finalTable', () => {
  it('shows counts, statuses and latency percentiles', () => {
    const text = finalTable(report(), 'heading');
    assert.match(text, /requests +100 +10\.0\/s achieved, 10\.0\/s target/);
    assert.match(text, /errors +3 +3\.00%/);
    assert.match(text, /late +2/);
    assert.match(text, /dropped +1/);
    assert.match(text, /200 × 97, 500 × 3/);
    assert.match(text, /intended send time/);
    assert.match(text, /p99\.9/);
  });

  it('marks an aborted run', () => {
    assert.match(finalTable(report({ aborted: true }), 'h'), /ABORTED/);
  });
});

describe('progressLine', () => {
  it('shows elapsed, rate, p99 so far and errors', async () => {
    const { progressLine } = await import('./render.js');
    const line = progressLine(
      { achievedRps: 4998.7, inFlight: 3 } as Parameters<typeof progressLine>[0],
      {
        elapsedS: 12,
        totalS: 30,
        requests: 60_000,
        errors: 2,
        late: 0,
        dropped: 5,
        p99SoFarMs: 1.234,
      },
    );
    assert.equal(line, '12s/30s  4,999 rps  p99 1.23 ms  errors 2  dropped 5  in flight 3');
  });
});
