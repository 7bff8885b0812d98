import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planWindow, whereRun } from './sql.js';

describe('whereRun', () => {
  test('values travel as parameters, never in the SQL text', () => {
    const evil = "x' OR 1=1 --";
    const where = whereRun(
      'run_1',
      { steps: [evil], agents: [evil], statusClasses: ['2xx'] },
      { from: 100, to: 200 },
      'second',
    );
    assert.ok(!where.sql.includes(evil));
    assert.equal(
      where.sql,
      'run_id = {runId:String} AND step IN {steps:Array(String)} AND status_class IN {statusClasses:Array(String)} ' +
        "AND agent_id IN {agents:Array(String)} AND second >= toDateTime({fromSecond:UInt32}, 'UTC') " +
        "AND second < toDateTime({toSecond:UInt32}, 'UTC')",
    );
    assert.deepEqual(where.params, {
      runId: 'run_1',
      steps: [evil],
      agents: [evil],
      statusClasses: ['2xx'],
      fromSecond: 100,
      toSecond: 200,
    });
  });

  test('no filter: the run only', () => {
    assert.deepEqual(whereRun('run_1', {}, {}, 'minute'), {
      sql: 'run_id = {runId:String}',
      params: { runId: 'run_1' },
    });
  });

  test('agent filters cannot reach the per-minute tables (they have no agent column)', () => {
    assert.throws(() => whereRun('run_1', { agents: ['a'] }, {}, 'minute'), /raw rows only/);
  });
});

describe('planWindow', () => {
  test('unbounded: all minutes, no edges', () => {
    assert.deepEqual(planWindow(), { minutes: { from: undefined, to: undefined }, edges: [] });
  });

  test('aligned: minutes only', () => {
    assert.deepEqual(planWindow(60, 180), { minutes: { from: 60, to: 180 }, edges: [] });
  });

  test('unaligned: whole minutes inside, raw seconds at both edges', () => {
    assert.deepEqual(planWindow(30, 150), {
      minutes: { from: 60, to: 120 },
      edges: [
        { from: 30, to: 60 },
        { from: 120, to: 150 },
      ],
    });
  });

  test('within one minute: raw only', () => {
    assert.deepEqual(planWindow(61, 119), { edges: [{ from: 61, to: 119 }] });
    assert.deepEqual(planWindow(70, 130), { edges: [{ from: 70, to: 130 }] });
  });

  test('half-bounded', () => {
    assert.deepEqual(planWindow(90), {
      minutes: { from: 120, to: undefined },
      edges: [{ from: 90, to: 120 }],
    });
    assert.deepEqual(planWindow(undefined, 90), {
      minutes: { from: undefined, to: 60 },
      edges: [{ from: 60, to: 90 }],
    });
  });

  test('empty window', () => {
    assert.deepEqual(planWindow(100, 100), { edges: [] });
  });
});
