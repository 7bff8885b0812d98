import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  fleetCapacityProblem,
  type RunTarget,
  rateCapProblem,
  targetOfSecond,
} from './shard-plan.js';

const open = (rate: number, seconds: number): RunTarget => ({
  kind: 'open',
  profile: { startRate: rate, stages: [{ durationMs: seconds * 1000, target: rate }] },
});

describe('live rate changes on the target line', () => {
  it('draws the target of each second from the changes, on control’s clock', () => {
    const startAt = 1_000_000_500;
    const changes = [{ atMs: startAt + 3000, rateMultiplier: 2 }];
    const second = (k: number) => Math.floor(startAt / 1000) + k;
    assert.equal(targetOfSecond(open(100, 10), startAt, 10_000, second(2), changes), 100);
    assert.equal(targetOfSecond(open(100, 10), startAt, 10_000, second(3), changes), 200);
  });
});

describe('limits on what a run plans', () => {
  const env = (maxRate: number | null) => ({ name: 'prod', maxRate });

  it('holds an open run under the environment’s maxRate, and takes no other under a cap', () => {
    assert.equal(rateCapProblem(env(null), open(5000, 10), 3), undefined);
    assert.equal(rateCapProblem(env(300), open(100, 10), 3), undefined);
    assert.match(
      rateCapProblem(env(300), open(100, 10), 4) ?? '',
      /caps the fleet at 300\/s \(maxRate\); this would plan 400\/s/,
    );
    assert.match(rateCapProblem(env(300), { kind: 'closed', vus: 10 }) ?? '', /closed model/);
    assert.match(rateCapProblem(env(300), 'replay') ?? '', /corpus's pace/);
  });

  it('asks for the agents the weakest measured one could carry at 80 %', () => {
    assert.equal(fleetCapacityProblem(open(1000, 10), 2, []), undefined, 'nobody measured');
    assert.equal(fleetCapacityProblem(open(1000, 10), 3, [500, 900]), undefined);
    assert.match(
      fleetCapacityProblem(open(1000, 10), 2, [500, 900]) ?? '',
      /plans 1000\/s at its peak; the agents here carry 500\/s each at least .* it needs 3 agents, not 2 \(--agents 3\)/,
    );
    assert.equal(fleetCapacityProblem({ kind: 'closed', vus: 100 }, 1, [10]), undefined);
  });
});
