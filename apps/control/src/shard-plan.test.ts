import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { joinK6Script, Scenario } from '@loadline/scenario';
import {
  fleetCapacityProblem,
  type LaunchInput,
  launchTarget,
  planShards,
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
    assert.match(rateCapProblem(env(300), 'k6') ?? '', /k6 script's requests/);
  });

  it('asks for the agents the weakest measured one could carry at 80 %', () => {
    assert.equal(fleetCapacityProblem(open(1000, 10), 2, []), undefined, 'nobody measured');
    assert.equal(fleetCapacityProblem(open(1000, 10), 3, [500, 900]), undefined);
    assert.match(
      fleetCapacityProblem(open(1000, 10), 2, [500, 900]) ?? '',
      /plans 1000\/s at its peak; the agents here carry 500\/s each at least .* it needs 3 agents, not 2 \(--agents 3\)/,
    );
    assert.equal(fleetCapacityProblem({ kind: 'closed', vus: 100 }, 1, [10]), undefined);
    assert.equal(fleetCapacityProblem('k6', 1, [10]), undefined);
  });
});

describe('a k6 script across agents', () => {
  const scenario = Scenario.parse({
    name: 'k6-script',
    target: 'http://127.0.0.1:8080',
    k6: {
      entry: 'script.js',
      code: 'export default function () {}',
      map: '{}',
      files: {},
      options: {
        scenarios: {
          a: { executor: 'constant-vus', vus: 3, duration: '10s', gracefulStop: '0s' },
          b: { executor: 'ramping-vus', stages: [{ duration: '5s', target: 4 }], startTime: '2s' },
        },
      },
    },
  });
  const input = (agents: number) =>
    ({
      run: { id: 'run_k6', agentsRequested: agents },
      scenario,
      feederRows: {},
      allowedHosts: ['127.0.0.1'],
      overrides: {},
      controlGraceMs: 30_000,
    }) as unknown as LaunchInput;

  it('gives every agent a shard of the whole script; shard 0 runs setup and teardown', () => {
    assert.equal(launchTarget(scenario, {}), 'k6');
    const { jobs, durationMs, target } = planShards(input(3));
    assert.deepEqual(
      jobs.map((j) => [j.shard, j.shardCount, j.model]),
      [
        [0, 3, { kind: 'k6', setup: true }],
        [1, 3, { kind: 'k6', setup: false }],
        [2, 3, { kind: 'k6', setup: false }],
      ],
    );
    assert.deepEqual(target, { kind: 'closed', vus: 7 });
    // The script's bulk is stored once for the run: each job names its digest, and the
    // agent's join gives back the scenario as launched.
    const { script } = planShards(input(3));
    assert.ok(script);
    for (const job of jobs) {
      assert.deepEqual(job.k6Script, { sha256: script.sha256 });
      assert.equal((job.scenario.k6 as Record<string, unknown>).code, undefined);
      assert.deepEqual(Scenario.parse(joinK6Script(job.scenario, script.text)), scenario);
    }
    assert.equal(durationMs, 2000 + 5000 + 30_000, "b's start, stages and its graceful ramp-down");
  });
});
