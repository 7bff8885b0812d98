import type { ShardJob } from '@loadline/api';
import { scaledArrivalsBy } from '@loadline/engine';
import type { Run } from '@loadline/metadata';
import type { MetricsTarget } from '@loadline/metrics';
import type { Corpus } from '@loadline/replay';
import {
  type ClosedPlan,
  type OpenPlan,
  type PlanOverrides,
  parseDuration,
  planDurationMs,
  planLoad,
  type Scenario,
  splitPlan,
} from '@loadline/scenario';
import { shadowHeaders, signShadowTag } from '@loadline/shadow';
import { z } from 'zod';
import { planK6Shards } from './k6-run.js';
import { planReplayShards } from './replay-shards.js';

export interface RunOverrides {
  duration?: string;
  rateMultiplier?: number;
}

export interface LaunchInput {
  run: Run;
  scenario: Scenario;
  feederRows: Record<string, Array<Record<string, string>>>;
  allowedHosts: string[];
  overrides: RunOverrides;
  /** a replay scenario's corpus, loaded by launchRun */
  corpus?: Corpus;
  /** the environment's shadow key: shadow runs carry a tag signed with it */
  shadowSecret?: string;
  /** the environment's Prometheus endpoints, scraped every second while the run goes */
  metricsTargets?: MetricsTarget[];
  /** the secrets the scenario uses, sealed for the agents (see ShardJob.secrets) */
  sealedSecrets?: string;
  /** how long its agents go on while control is away (see ShardJob.controlGraceMs) */
  controlGraceMs: number;
}

/** Shadow tags outlive the run by this much (claims and start delay come first). */
const TAG_SLACK_S = 15 * 60;

/** What the whole run asks for (all shards together): a rate profile or a number of VUs. */
export const RunTarget = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('open'),
    profile: z.object({
      startRate: z.number().nonnegative(),
      stages: z.array(z.object({ durationMs: z.number(), target: z.number().nonnegative() })),
    }),
  }),
  z.object({ kind: z.literal('closed'), vus: z.number().int().nonnegative() }),
]);
export type RunTarget = z.infer<typeof RunTarget>;

/**
 * The target of the point keyed `second` of a run that started at `startAt` (ms): the
 * intended arrivals in the run's interval that starts in that epoch second (open model), the
 * VUs (closed), 0 outside the run.
 */
export function targetOfSecond(
  target: RunTarget,
  startAt: number,
  durationMs: number,
  second: number,
  rateChanges: readonly RateStep[] = [],
) {
  // Agents rotate intervals every second from the common start and key each by the epoch
  // second it starts in: the point of second s is the run's interval k = s − ⌊start⌋.
  const from = (second - Math.floor(startAt / 1000)) * 1000;
  const to = from + 1000;
  if (target.kind === 'closed') return undefined; // VUs, not a rate: no target rate to draw
  if (to <= 0 || from >= durationMs) return 0;
  const steps = rateChanges.map((c) => ({
    fromMs: c.atMs - startAt,
    multiplier: c.rateMultiplier,
  }));
  return (
    scaledArrivalsBy(target.profile, steps, Math.min(to, durationMs)) -
    scaledArrivalsBy(target.profile, steps, Math.max(from, 0))
  );
}

/** A live rate change as the target line needs it: from when (control's epoch ms), how much. */
export interface RateStep {
  atMs: number;
  rateMultiplier: number;
}

/** A run's overrides as the load plan takes them (the duration checked by the route). */
export function planOverrides(overrides: RunOverrides): PlanOverrides {
  const durationMs =
    overrides.duration === undefined ? undefined : parseDuration(overrides.duration);
  return {
    ...(durationMs === undefined ? {} : { durationMs }),
    ...(overrides.rateMultiplier === undefined ? {} : { rateMultiplier: overrides.rateMultiplier }),
  };
}

/** The most requests per second a run plans at any moment (its profile's peak times `multiplier`). */
export function peakRate(target: RunTarget & { kind: 'open' }, multiplier = 1): number {
  const { startRate, stages } = target.profile;
  return Math.max(startRate, ...stages.map((s) => s.target)) * multiplier;
}

/**
 * An environment's rate cap against what a run would plan: why it is refused, or undefined.
 * A closed model (VUs) and a replay (its corpus's own timing) have no planned rate to hold
 * under a cap, so a capped environment takes open-model runs only.
 */
export function rateCapProblem(
  environment: { name: string; maxRate: number | null },
  target: LaunchTarget,
  multiplier = 1,
): string | undefined {
  const cap = environment.maxRate;
  if (cap === null) return undefined;
  const capped = `environment "${environment.name}" caps the fleet at ${cap}/s (maxRate)`;
  if (target === 'replay')
    return `${capped}; a replay goes at its corpus's pace, which the cap cannot bound`;
  if (target === 'k6')
    return `${capped}; a k6 script's requests per iteration are its own, which the cap cannot bound`;
  if (target.kind === 'closed')
    return `${capped}; a closed model (VUs) plans no rate the cap could bound: give it an arrival rate`;
  const peak = peakRate(target, multiplier);
  if (peak <= cap + 1e-9) return undefined;
  return `${capped}; this would plan ${Math.round(peak * 100) / 100}/s at its peak`;
}

/** An agent is planned at most this share of what it carries: the rest absorbs jitter. */
export const AGENT_LOAD_SHARE = 0.8;

/**
 * A run its agents could not carry, refused before it starts: each of `agents` shards gets
 * the peak's share, and any agent may take one, so the weakest agent that said what it
 * carries (`loadline bench --save-capacity`) decides. Why it is refused (with the agents it
 * needs), or undefined (carried, or no agent said).
 */
export function fleetCapacityProblem(
  target: LaunchTarget,
  agents: number,
  capacities: readonly number[],
): string | undefined {
  if (typeof target === 'string' || target.kind !== 'open' || capacities.length === 0) {
    return undefined;
  }
  const weakest = Math.min(...capacities);
  const peak = peakRate(target);
  const needed = Math.ceil(peak / (weakest * AGENT_LOAD_SHARE) - 1e-9);
  if (agents >= needed) return undefined;
  return `this run plans ${Math.round(peak * 100) / 100}/s at its peak; the agents here carry ${weakest}/s each at least (measured by \`loadline bench --save-capacity\`), planned at ${AGENT_LOAD_SHARE * 100} %: it needs ${needed} agents, not ${agents} (--agents ${needed})`;
}

/**
 * What a launch plans for the whole run: a rate profile or VUs; a replay's corpus pace or a
 * k6 script's own, which no rate bounds.
 */
export type LaunchTarget = RunTarget | 'replay' | 'k6';

/** What a launch would plan for the whole run (before shards): for the environment's cap. */
export function launchTarget(scenario: Scenario, overrides: RunOverrides): LaunchTarget {
  if (scenario.k6) return 'k6';
  if (scenario.replay || scenario.load === undefined) return 'replay';
  const whole = planLoad(scenario.load, planOverrides(overrides));
  return runTarget([whole], whole);
}

function runTarget(shards: Array<OpenPlan | ClosedPlan>, whole: OpenPlan | ClosedPlan): RunTarget {
  if (whole.kind === 'open') {
    return { kind: 'open', profile: { startRate: whole.startRate, stages: whole.stages } };
  }
  return { kind: 'closed', vus: shards.reduce((n, s) => n + (s.kind === 'closed' ? s.vus : 0), 0) };
}

function shardModel(plan: OpenPlan | ClosedPlan): ShardJob['model'] {
  return plan.kind === 'open'
    ? {
        kind: 'open',
        startRate: plan.startRate,
        stages: plan.stages,
        maxInFlight: plan.maxInFlight,
      }
    : { kind: 'closed', vus: plan.vus, durationMs: plan.durationMs };
}

/** Splits a run into shard jobs: rate and VUs divided, feeder rows dealt round-robin. */
/** One agent's job: what every model's job carries, with the shard's own model, rows and headers. */
export function shardJob(
  input: LaunchInput,
  shard: number,
  own: Pick<ShardJob, 'model' | 'feederRows' | 'extraHeaders'>,
): ShardJob {
  return {
    runId: input.run.id,
    shard,
    shardCount: input.run.agentsRequested,
    scenario: input.scenario,
    ...own,
    allowedHosts: input.allowedHosts,
    controlGraceMs: input.controlGraceMs,
    ...(input.sealedSecrets ? { secrets: input.sealedSecrets } : {}),
  };
}

export function planShards(input: LaunchInput): {
  jobs: ShardJob[];
  durationMs: number;
  target: RunTarget;
  /** a k6 run's script, stored once for all its shards (see planK6Shards) */
  script?: { text: string; sha256: string };
} {
  const { run, scenario } = input;
  const count = run.agentsRequested;
  const load = scenario.load;
  if (scenario.k6) return planK6Shards(input);
  if (scenario.replay || load === undefined) {
    return planReplayShards(input, (durationMs) => shadowHeadersOf(input, durationMs));
  }
  const whole = planLoad(load, planOverrides(input.overrides));
  const durationMs = planDurationMs(whole);
  const shards = splitPlan(whole, count);
  const rows = (name: string, shard: number) =>
    (input.feederRows[name] ?? []).filter((_, i) => i % count === shard);
  const feederRows = (shard: number) =>
    Object.fromEntries(Object.keys(scenario.feeders).map((name) => [name, rows(name, shard)]));
  const extraHeaders = shadowHeadersOf(input, durationMs);
  const jobs = shards.map((plan, shard) =>
    shardJob(input, shard, {
      model: shardModel(plan),
      feederRows: feederRows(shard),
      extraHeaders,
    }),
  );
  return { jobs, durationMs, target: runTarget(shards, whole) };
}

/**
 * The headers a shadow run's requests carry: `x-loadline-shadow` and W3C baggage with a tag
 * signed by the environment's key, valid for the run and some slack. None for a plain run.
 */
function shadowHeadersOf(input: LaunchInput, durationMs: number): [string, string][] {
  if (!input.scenario.shadow) return [];
  if (!input.shadowSecret) throw new Error("a shadow run needs its environment's shadow secret");
  const expiresAt = Math.ceil((Date.now() + durationMs) / 1000) + TAG_SLACK_S;
  const tag = signShadowTag({
    runId: input.run.id,
    expiresAt,
    secret: input.shadowSecret,
    target: input.scenario.target,
  });
  return Object.entries(shadowHeaders(tag));
}
