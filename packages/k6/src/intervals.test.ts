import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeHistogram } from '@loadline/histogram';
import { IntervalRecorder, MAX_STEPS } from './intervals.js';

const ids = { runId: 'run_1', agentId: 'a1' };

describe('IntervalRecorder', () => {
  it('makes one row per request name and status class, with its latency histogram', () => {
    const recorder = new IntervalRecorder();
    recorder.request('home', 200, 12.5, false);
    recorder.request('home', 204, 7, false);
    recorder.request('home', 503, 3, true);
    recorder.request('login', 0, 30, true);
    recorder.check(true);
    recorder.check(false);
    const rows = recorder.take(ids, 1_700_000_000);
    const find = (step: string, statusClass: string) =>
      rows.find((r) => r.step === step && r.statusClass === statusClass);
    assert.equal(find('home', '2xx')?.requests, 2);
    assert.equal(find('home', '5xx')?.errors, 1);
    assert.equal(find('login', 'error')?.requests, 1, 'no response: the error class');
    const histogram = decodeHistogram(find('home', '2xx')?.histogram ?? '');
    assert.equal(histogram.totalCount, 2);
    assert.ok(Math.abs(histogram.maxValue - 12_500) < 20, 'µs');
    assert.deepEqual(
      rows.filter((r) => r.step === '').map((r) => [r.statusClass, r.checks, r.checksFailed]),
      [['none', 2, 1]],
    );
    for (const row of rows) assert.equal(row.second, 1_700_000_000);
    assert.deepEqual(recorder.take(ids, 1_700_000_001), [], 'taken: it starts again');
  });

  it(`keeps at most ${MAX_STEPS} names apart; the rest count as other`, () => {
    const recorder = new IntervalRecorder();
    for (let i = 0; i < MAX_STEPS + 50; i++) recorder.request(`/item/${i}`, 200, 1, false);
    recorder.request('/item/0', 200, 1, false);
    const rows = recorder.take(ids, 1);
    assert.equal(rows.length, MAX_STEPS + 1);
    assert.equal(rows.find((r) => r.step === 'other')?.requests, 50);
    assert.equal(rows.find((r) => r.step === '/item/0')?.requests, 2);
  });
});
