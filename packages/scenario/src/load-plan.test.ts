import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_MAX_IN_FLIGHT,
  planDurationMs,
  planLoad,
  planScenario,
  splitPlan,
} from './load-plan.js';

describe('planLoad', () => {
  it('reads a constant rate as one stage, durations in ms, the in-flight default applied', () => {
    assert.deepEqual(planLoad({ rate: 50, duration: '1m30s' }), {
      kind: 'open',
      startRate: 50,
      stages: [{ durationMs: 90_000, target: 50 }],
      maxInFlight: DEFAULT_MAX_IN_FLIGHT,
    });
  });

  it('reads stages from their start rate, and a closed load as VUs for a duration', () => {
    const ramp = planLoad({
      startRate: 5,
      stages: [
        { duration: '10s', target: 50 },
        { duration: '500ms', target: 20 },
      ],
      maxInFlight: 30,
    });
    assert.deepEqual(ramp, {
      kind: 'open',
      startRate: 5,
      stages: [
        { durationMs: 10_000, target: 50 },
        { durationMs: 500, target: 20 },
      ],
      maxInFlight: 30,
    });
    assert.equal(planDurationMs(ramp), 10_500);
    assert.deepEqual(planLoad({ vus: 3, duration: '2s' }), {
      kind: 'closed',
      vus: 3,
      durationMs: 2000,
    });
  });

  it('applies a run duration (a ramp cut mid-stage) and a rate multiplier', () => {
    const cut = planLoad(
      { startRate: 0, stages: [{ duration: '10s', target: 100 }] },
      { durationMs: 4000, rateMultiplier: 2 },
    );
    assert.deepEqual(cut, {
      kind: 'open',
      startRate: 0,
      stages: [{ durationMs: 4000, target: 80 }],
      maxInFlight: DEFAULT_MAX_IN_FLIGHT,
    });
    const longer = planLoad({ rate: 10, duration: '1s' }, { durationMs: 3000 });
    assert.equal(planDurationMs(longer), 3000);
    assert.deepEqual(planLoad({ vus: 3, duration: '2s' }, { rateMultiplier: 0.1 }), {
      kind: 'closed',
      vus: 1,
      durationMs: 2000,
    });
  });

  it('plans a replay by speed or rate, the multiplier applied to either', () => {
    const replay = { corpus: 'c', speed: 2 };
    assert.deepEqual(planScenario({ replay }, { rateMultiplier: 3 }), {
      kind: 'replay',
      timing: { speed: 6 },
      maxInFlight: DEFAULT_MAX_IN_FLIGHT,
    });
    assert.deepEqual(planScenario({ replay: { file: 'x.json', rate: 40, maxInFlight: 9 } }), {
      kind: 'replay',
      timing: { rate: 40 },
      maxInFlight: 9,
    });
  });
});

describe('splitPlan', () => {
  it('divides rates and the in-flight cap across shards', () => {
    const shards = splitPlan(planLoad({ rate: 90, duration: '1s', maxInFlight: 10 }), 3);
    assert.equal(shards.length, 3);
    for (const shard of shards) {
      assert.equal(shard.kind, 'open');
      if (shard.kind !== 'open') continue;
      assert.equal(shard.startRate, 30);
      assert.deepEqual(shard.stages, [{ durationMs: 1000, target: 30 }]);
      assert.equal(shard.maxInFlight, 4);
    }
  });

  it('deals VUs as whole users, at least one per shard', () => {
    const vus = (total: number, shards: number) =>
      splitPlan(planLoad({ vus: total, duration: '1s' }), shards).map((s) =>
        s.kind === 'closed' ? s.vus : -1,
      );
    assert.deepEqual(vus(7, 3), [3, 2, 2]);
    assert.deepEqual(vus(1, 3), [1, 1, 1]);
  });
});
