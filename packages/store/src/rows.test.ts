import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLatencyHistogram, encodeHistogram, recordLatencyUs } from '@loadline/histogram';
import {
  InvalidIntervalRowsError,
  ingestMarkers,
  minuteOf,
  toIntervalRecord,
  validateIntervalRows,
} from './rows.js';

const histogram = (() => {
  const h = createLatencyHistogram();
  recordLatencyUs(h, 1500);
  return encodeHistogram(h);
})();

const row = (overrides: Record<string, unknown> = {}) => ({
  runId: 'run_01JD8X6Q5T3J1K7Y2M4N6P8R0S',
  agentId: 'agent-1',
  step: 'browse',
  statusClass: '2xx',
  second: 1_795_440_000,
  requests: 1,
  errors: 0,
  histogram,
  ...overrides,
});

describe('validateIntervalRows', () => {
  test('returns typed rows with the contract defaults filled in', () => {
    const [parsed] = validateIntervalRows([row()]);
    assert.deepEqual(parsed, { ...row(), checks: 0, checksFailed: 0, late: 0, dropped: 0 });
  });

  test('reports every problem of every row, each with its path', () => {
    const bad = [
      row(),
      row({ requests: -1 }),
      row({ statusClass: '6xx', second: 1.5 }),
      row({ histogram: 'bm90IGEgaGlzdG9ncmFt' }),
      row({ runId: "run'; DROP TABLE intervals; --" }),
      row({ checks: -1, checksFailed: 0.5 }),
    ];
    let err: unknown;
    try {
      validateIntervalRows(bad);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof InvalidIntervalRowsError);
    const { issues, message } = err;
    const paths = issues.map((i) => i.path).sort();
    assert.deepEqual(paths, [
      'rows[1].requests',
      'rows[2].second',
      'rows[2].statusClass',
      'rows[3].histogram',
      'rows[4].runId',
      'rows[5].checks',
      'rows[5].checksFailed',
    ]);
    assert.match(message, /^invalid interval rows, nothing stored: /);
    assert.match(message, /rows\[3\]\.histogram: not a compressed HdrHistogram/);
  });

  test('a row that is not an object is named too', () => {
    assert.throws(
      () => validateIntervalRows([row(), null]),
      (err: unknown) =>
        err instanceof InvalidIntervalRowsError && err.issues[0]?.path === 'rows[1]',
    );
  });

  test('says how many problems it did not list', () => {
    const many = Array.from({ length: 13 }, () => row({ errors: -1 }));
    assert.throws(() => validateIntervalRows(many), /and 3 more$/);
  });
});

describe('records and markers', () => {
  test('a record carries every column under its table name', () => {
    const [parsed] = validateIntervalRows([
      row({ late: 2, dropped: 3, checks: 9, checksFailed: 4 }),
    ]);
    assert.deepEqual(toIntervalRecord(parsed!), {
      run_id: 'run_01JD8X6Q5T3J1K7Y2M4N6P8R0S',
      agent_id: 'agent-1',
      step: 'browse',
      status_class: '2xx',
      second: 1_795_440_000,
      requests: 1,
      errors: 0,
      checks: 9,
      checks_failed: 4,
      late: 2,
      dropped: 3,
      histogram,
    });
  });

  test('one marker per run, step, status class and minute', () => {
    assert.equal(minuteOf(1_795_440_059), 1_795_440_000);
    assert.equal(minuteOf(1_795_440_060), 1_795_440_060);
    const rows = validateIntervalRows([
      row({ second: 1_795_440_000 }),
      row({ second: 1_795_440_059, agentId: 'agent-2' }),
      row({ second: 1_795_440_060 }),
      row({ second: 1_795_440_001, statusClass: '5xx' }),
      row({ second: 1_795_440_002, step: 'pay' }),
    ]);
    const markers = ingestMarkers(rows).map((m) => `${m.step}/${m.status_class}/${m.minute}`);
    assert.deepEqual(markers.sort(), [
      'browse/2xx/1795440000',
      'browse/2xx/1795440060',
      'browse/5xx/1795440000',
      'pay/2xx/1795440000',
    ]);
  });
});
