import { MAX_REPLAY_SENDS_PER_SHARD, type ShardJob } from '@loadline/api';
import { type Corpus, type ReplayShards, replayShards } from '@loadline/replay';
import { planReplayTiming, type Replay, splitPlan } from '@loadline/scenario';
import { HttpProblem } from './http.js';
import { type LaunchInput, planOverrides, type RunTarget, shardJob } from './shard-plan.js';

/**
 * Plans a replay across `agents`: sessions placed whole on one agent, sends timed by the
 * corpus × speed (or re-rated). A rate multiplier override scales speed or rate. Refuses
 * (422) a shard bigger than a job may carry, naming the way out.
 */
export function planReplay(
  corpus: Pick<Corpus, 'requests' | 'mix'>,
  replay: Replay,
  agents: number,
  rateMultiplier = 1,
): ReplayShards {
  const { timing } = planReplayTiming(replay, { rateMultiplier });
  const planned = replayShards(corpus, { ...timing, agents });
  const biggest = Math.max(0, ...planned.shards.map((sends) => sends.length));
  if (biggest > MAX_REPLAY_SENDS_PER_SHARD) {
    throw new HttpProblem(
      422,
      'corpus too large for this many agents',
      `one agent would get ${biggest} requests; a replay shard carries at most ${MAX_REPLAY_SENDS_PER_SHARD}. Run it on more agents (at least ${Math.ceil(corpus.requests.length / MAX_REPLAY_SENDS_PER_SHARD)}), or import a shorter capture`,
      {
        errors: [
          { field: 'agents', message: `at most ${MAX_REPLAY_SENDS_PER_SHARD} requests per agent` },
        ],
      },
    );
  }
  return planned;
}

/**
 * A replay run's shard jobs: each agent's planned sends with their captured requests.
 * `extraHeaders` gives the run's headers (the shadow tag) for a run of that length.
 */
export function planReplayShards(
  input: LaunchInput,
  extraHeaders: (durationMs: number) => [string, string][],
): {
  jobs: ShardJob[];
  durationMs: number;
  target: RunTarget;
} {
  const { run, scenario, corpus } = input;
  if (scenario.replay === undefined || corpus === undefined) {
    throw new Error(`run ${run.id}: a replay launch needs the scenario's replay and its corpus`);
  }
  const count = run.agentsRequested;
  const { steps, shards, plan } = planReplay(
    corpus,
    scenario.replay,
    count,
    input.overrides.rateMultiplier,
  );
  const timing = planReplayTiming(scenario.replay, planOverrides(input.overrides));
  const maxInFlight = splitPlan(timing, count)[0]?.maxInFlight ?? timing.maxInFlight;
  const durationMs = plan.durationMs;
  const headers = extraHeaders(durationMs);
  const jobs = shards.map((sends, shard) =>
    shardJob(input, shard, {
      model: { kind: 'replay', steps, sends, maxInFlight },
      feederRows: {},
      extraHeaders: headers,
    }),
  );
  // Live views chart a target rate: the replay's average (its real shape is the corpus's).
  const span = Math.max(durationMs, 1);
  const rate = (plan.requests * 1000) / span;
  return {
    jobs,
    durationMs,
    target: {
      kind: 'open',
      profile: { startRate: rate, stages: [{ durationMs: span, target: rate }] },
    },
  };
}
