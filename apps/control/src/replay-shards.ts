import { MAX_REPLAY_SENDS_PER_SHARD, type ShardJob } from '@loadline/api';
import { type Corpus, type ReplayShards, replayShards } from '@loadline/replay';
import type { Replay } from '@loadline/scenario';
import type { LaunchInput, RunTarget } from './coordinator.js';
import { HttpProblem } from './http.js';

/** In flight at once over the whole run when the scenario does not say. */
const DEFAULT_MAX_IN_FLIGHT = 10_000;

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
  const planned = replayShards(corpus, {
    ...(replay.rate === undefined
      ? { speed: (replay.speed ?? 1) * rateMultiplier }
      : { rate: replay.rate * rateMultiplier }),
    agents,
  });
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
  const maxInFlight = Math.max(
    1,
    Math.ceil((scenario.replay.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT) / count),
  );
  const durationMs = plan.durationMs;
  const headers = extraHeaders(durationMs);
  const jobs = shards.map(
    (sends, shard): ShardJob => ({
      runId: run.id,
      shard,
      shardCount: count,
      scenario: scenario as unknown as Record<string, unknown>,
      model: { kind: 'replay', steps, sends, maxInFlight },
      feederRows: {},
      extraHeaders: headers,
      allowedHosts: input.allowedHosts,
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
