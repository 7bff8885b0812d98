// A scenario's `load` (or `replay` timing) as a typed plan: durations in ms, defaults
// applied, run overrides folded in. Local runs, shard planning and the console's preview all
// read the plan from here. Browser-safe: no node: imports.
import { parseDuration } from './duration.js';
import type { Load, Replay, Scenario } from './schema.js';

/** In flight at once over the whole run (open model, replay) when the scenario does not say. */
export const DEFAULT_MAX_IN_FLIGHT = 10_000;

/** One stage of an arrival-rate profile: ramp linearly to `target` rps over `durationMs`. */
export interface RateStage {
  durationMs: number;
  target: number;
}

/** A piecewise-linear arrival rate: starts at `startRate` and follows the stages. */
export interface RateProfile {
  startRate: number;
  stages: RateStage[];
}

/** Open model: requests arrive by the rate profile; beyond `maxInFlight` a send is dropped. */
export interface OpenPlan extends RateProfile {
  kind: 'open';
  maxInFlight: number;
}

/** Closed model: `vus` virtual users loop their flows for `durationMs`. */
export interface ClosedPlan {
  kind: 'closed';
  vus: number;
  durationMs: number;
}

/**
 * Replay: the corpus's sends at original timing × `speed`, or re-rated to `rate` per
 * second; its length comes from the corpus.
 */
export interface ReplayPlan {
  kind: 'replay';
  timing: { speed: number } | { rate: number };
  maxInFlight: number;
}

export type LoadPlan = OpenPlan | ClosedPlan | ReplayPlan;

/** What a run may change in its scenario's load. */
export interface PlanOverrides {
  /** run this long instead (a ramp is stretched holding its last rate, or cut) */
  durationMs?: number;
  /** rates, VUs and replay speed × this; default 1 */
  rateMultiplier?: number;
}

/** A duration the scenario schema has already checked to be positive. */
function ms(text: string | undefined, field: string): number {
  const value = text === undefined ? undefined : parseDuration(text);
  if (value === undefined) throw new Error(`load.${field}: "${text}" is not a duration`);
  return value;
}

export function constantRate(rate: number, durationMs: number): RateProfile {
  return { startRate: rate, stages: [{ durationMs, target: rate }] };
}

export function profileDurationMs(profile: RateProfile): number {
  return profile.stages.reduce((sum, stage) => sum + stage.durationMs, 0);
}

/**
 * Stretches or cuts a profile to `durationMs`: longer holds the last rate, shorter ends
 * mid-stage at the rate interpolated there.
 */
export function fitProfile(profile: RateProfile, durationMs: number): RateProfile {
  const total = profileDurationMs(profile);
  const last = profile.stages[profile.stages.length - 1]?.target ?? profile.startRate;
  if (durationMs >= total) {
    const extra = durationMs - total;
    return extra > 0
      ? { ...profile, stages: [...profile.stages, { durationMs: extra, target: last }] }
      : profile;
  }
  const stages: RateStage[] = [];
  let elapsed = 0;
  let rate = profile.startRate;
  for (const stage of profile.stages) {
    if (elapsed + stage.durationMs <= durationMs) {
      stages.push(stage);
    } else {
      const part = durationMs - elapsed;
      if (part > 0) {
        stages.push({
          durationMs: part,
          target: rate + ((stage.target - rate) * part) / stage.durationMs,
        });
      }
      break;
    }
    elapsed += stage.durationMs;
    rate = stage.target;
  }
  return { ...profile, stages };
}

function scaled(profile: RateProfile, factor: number): RateProfile {
  return {
    startRate: profile.startRate * factor,
    stages: profile.stages.map((s) => ({ durationMs: s.durationMs, target: s.target * factor })),
  };
}

/** The rate profile a scenario's open-model load asks for, as written (no overrides). */
function writtenProfile(load: Load): RateProfile {
  if (load.rate !== undefined) return constantRate(load.rate, ms(load.duration, 'duration'));
  return {
    startRate: load.startRate ?? 0,
    stages: (load.stages ?? []).map((s, i) => ({
      durationMs: ms(s.duration, `stages[${i}].duration`),
      target: s.target,
    })),
  };
}

/** A validated `load` as the whole run's plan, with overrides applied. */
export function planLoad(load: Load, overrides: PlanOverrides = {}): OpenPlan | ClosedPlan {
  const multiplier = overrides.rateMultiplier ?? 1;
  if (load.vus !== undefined) {
    return {
      kind: 'closed',
      vus: Math.max(1, Math.round(load.vus * multiplier)),
      durationMs: overrides.durationMs ?? ms(load.duration, 'duration'),
    };
  }
  const written = writtenProfile(load);
  const fitted =
    overrides.durationMs === undefined ? written : fitProfile(written, overrides.durationMs);
  return {
    kind: 'open',
    ...scaled(fitted, multiplier),
    maxInFlight: load.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
  };
}

/** A validated `replay` as the run's replay timing, with the rate multiplier applied. */
export function planReplayTiming(replay: Replay, overrides: PlanOverrides = {}): ReplayPlan {
  const multiplier = overrides.rateMultiplier ?? 1;
  return {
    kind: 'replay',
    timing:
      replay.rate === undefined
        ? { speed: (replay.speed ?? 1) * multiplier }
        : { rate: replay.rate * multiplier },
    maxInFlight: replay.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
  };
}

/** A scenario's plan: its replay when it has one, else its load. */
export function planScenario(
  scenario: Pick<Scenario, 'load' | 'replay'>,
  overrides: PlanOverrides = {},
): LoadPlan {
  if (scenario.replay !== undefined) return planReplayTiming(scenario.replay, overrides);
  if (scenario.load === undefined) throw new Error('a scenario without replay needs a load');
  return planLoad(scenario.load, overrides);
}

/** How long an open or closed plan runs, in ms. */
export function planDurationMs(plan: OpenPlan | ClosedPlan): number {
  return plan.kind === 'closed' ? plan.durationMs : profileDurationMs(plan);
}

/** Splits a total across n shards as evenly as whole numbers allow (first ones get the rest). */
function splitEvenly(total: number, shards: number): number[] {
  const base = Math.floor(total / shards);
  const rest = total - base * shards;
  return Array.from({ length: shards }, (_, i) => base + (i < rest ? 1 : 0));
}

/**
 * One plan per shard of a run on `shards` agents: rates divided evenly, VUs dealt as whole
 * users (at least one each), the in-flight cap divided (at least one each). Replay sends
 * are placed by the corpus's sessions elsewhere; here a replay shard gets its cap.
 */
export function splitPlan<P extends LoadPlan>(plan: P, shards: number): P[];
export function splitPlan(plan: LoadPlan, shards: number): LoadPlan[] {
  const cap = (total: number) => Math.max(1, Math.ceil(total / shards));
  switch (plan.kind) {
    case 'closed':
      return splitEvenly(Math.max(shards, plan.vus), shards).map((vus) => ({ ...plan, vus }));
    case 'open': {
      const share = { ...plan, ...scaled(plan, 1 / shards), maxInFlight: cap(plan.maxInFlight) };
      return Array.from({ length: shards }, () => share);
    }
    case 'replay':
      return Array.from({ length: shards }, () => ({
        ...plan,
        maxInFlight: cap(plan.maxInFlight),
      }));
  }
}
