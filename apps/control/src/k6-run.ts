/**
 * A k6 script's run as control coordinates it: one shard per agent, each running its
 * share of every scenario (k6's execution segments); setup() on shard 0 from the start,
 * its data said with the instant every agent's VUs start; thresholds judged on every agent's metrics merged, every
 * 2 s (abortOnFail stops every agent) and at the end, where k6's exit code is decided.
 */
import type { K6Metrics, K6Outcome, ShardJob, ThresholdResult } from '@loadline/api';
import {
  K6ExitCode,
  K6FleetJudge,
  k6Ending,
  mergeMetrics,
  OptionsError,
  type ScriptEnding,
  ThresholdsError,
  type ThresholdVerdict,
} from '@loadline/k6';
import type { K6Setup } from '@loadline/metadata';
import { scriptDigest } from '@loadline/queue';
import { type K6Script, type Scenario, splitK6Script } from '@loadline/scenario';
import { type LaunchInput, type RunTarget, shardJob } from './shard-plan.js';

/** What control holds about a live k6 run besides what every run has. */
export interface LiveK6 {
  judge: K6FleetJudge;
  /** each agent's metrics as it last sent them (cumulative: the latest counts) */
  metrics: Map<string, K6Metrics>;
  /** how each shard's script ended */
  endings: Map<number, ScriptEnding>;
  /** setup() ran (on shard 0): when every agent's VUs start, and what it returned */
  setup: K6Setup | undefined;
  /** the threshold whose abortOnFail stopped the run */
  thresholdAbort: ThresholdVerdict['abort'];
  /** when thresholds were last judged (ms), and what they said (live views read it) */
  judgedAt: number;
  verdict: ThresholdVerdict | undefined;
}

/** The judge of a k6 scenario's script; throws K6OptionsProblem when its options do not hold. */
export function k6JudgeOf(script: K6Script): K6FleetJudge {
  try {
    return new K6FleetJudge(script);
  } catch (error) {
    if (error instanceof OptionsError || error instanceof ThresholdsError) {
      throw new K6OptionsProblem(error.message);
    }
    throw error;
  }
}

/** A k6 scenario whose options or thresholds k6 itself would refuse (its 104). */
export class K6OptionsProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'K6OptionsProblem';
  }
}

export function liveK6Of(scenario: Scenario): LiveK6 | undefined {
  if (!scenario.k6) return undefined;
  return {
    judge: k6JudgeOf(scenario.k6),
    metrics: new Map(),
    endings: new Map(),
    setup: undefined,
    thresholdAbort: undefined,
    judgedAt: 0,
    verdict: undefined,
  };
}

/**
 * One shard per agent; shard 0 runs setup() and teardown(). The script's bulk (bundle, map,
 * files) is left out of the jobs: it is stored once for the run, and each job names its digest.
 */
export function planK6Shards(input: LaunchInput): {
  jobs: ShardJob[];
  durationMs: number;
  target: RunTarget;
  script: { text: string; sha256: string };
} {
  const script = input.scenario.k6;
  if (!script) throw new Error(`run ${input.run.id}: a k6 launch needs the scenario's script`);
  const judge = k6JudgeOf(script);
  const split = splitK6Script(input.scenario);
  const sha256 = scriptDigest(split.script);
  const jobs = Array.from({ length: input.run.agentsRequested }, (_, shard) => ({
    ...shardJob(input, shard, {
      model: { kind: 'k6', setup: shard === 0 },
      feederRows: {},
      extraHeaders: [],
    }),
    scenario: split.scenario,
    k6Script: { sha256 },
  }));
  return {
    script: { text: split.script, sha256 },
    jobs,
    durationMs: Math.max(judge.durationMs, 1000),
    target: { kind: 'closed', vus: judge.maxVus },
  };
}

/** The thresholds on every agent's metrics so far (`final`: the run has ended). */
export function judgeK6(k6: LiveK6, final: boolean): ThresholdVerdict {
  return k6.judge.judge(mergeMetrics(k6.metrics.values()), final);
}

/**
 * A k6 run's thresholds as last judged on every agent's metrics (every 2 s), as live views
 * list them: a view does not merge every agent's histograms again.
 */
export function k6ThresholdsSoFar(k6: LiveK6): ThresholdResult[] {
  return k6.verdict ? thresholdResults(k6.verdict) : [];
}

function thresholdResults(verdict: ThresholdVerdict): ThresholdResult[] {
  return verdict.outcomes.map((o) => ({
    expression: `${o.key}: ${o.source}`,
    passed: o.ok,
    value: o.observed ?? null,
  }));
}

/**
 * The run's k6 verdict at its end: k6's summary of every agent's metrics merged, its
 * thresholds as the run summary lists them, and k6's exit code.
 */
export function settleK6(
  k6: LiveK6,
  run: { saturated: boolean; saturationHint?: string; abortReason: string | undefined },
): { outcome: K6Outcome; thresholds: ThresholdResult[]; elapsedMs: number } {
  const merged = mergeMetrics(k6.metrics.values());
  let verdict: ThresholdVerdict;
  let problem: string | undefined;
  try {
    verdict = k6.judge.judge(merged, true);
  } catch (error) {
    if (!(error instanceof ThresholdsError)) throw error;
    // A threshold on a metric of the wrong type: k6 refuses the run (104) after init.
    verdict = { outcomes: [], passed: false, abort: undefined };
    problem = error.message;
  }
  const summary = k6.judge.summary(merged, verdict);
  const ending = problem
    ? { exitCode: K6ExitCode.invalidConfig, reason: problem }
    : k6Ending({
        saturated: run.saturated,
        ...(run.saturationHint ? { saturationHint: run.saturationHint } : {}),
        runner: "an agent's runner",
        scripts: [...k6.endings.values()],
        thresholdAbort: k6.thresholdAbort,
        stopped: run.abortReason === undefined ? undefined : `stopped: ${run.abortReason}`,
        verdict,
      });
  return {
    outcome: {
      exitCode: ending.exitCode,
      ...(ending.reason === undefined ? {} : { reason: ending.reason }),
      summary: JSON.parse(JSON.stringify(summary)),
    },
    thresholds: thresholdResults(verdict),
    elapsedMs: merged.elapsedMs,
  };
}
