import {
  parseDuration,
  profileDurationMs,
  type RateProfile,
  type RateStage as Stage,
} from '@loadline/scenario';

// The rate profile and its fitting live with the load plan (browser-safe, in scenario).
export {
  constantRate,
  fitProfile,
  profileDurationMs,
  type RateProfile,
  type RateStage as Stage,
} from '@loadline/scenario';

/**
 * Parses "30s:1000,60s:5000" (k6's ramping-arrival-rate stages: each ramps linearly from
 * the previous target, the first from 0). Returns an error message on bad input.
 */
export function parseStages(text: string): Stage[] | string {
  const parts = text.split(',').map((p) => p.trim());
  const stages: Stage[] = [];
  for (const [index, part] of parts.entries()) {
    const [durationText, targetText, extra] = part.split(':');
    if (durationText === undefined || targetText === undefined || extra !== undefined) {
      return `stage ${index + 1} "${part}" is not DURATION:RATE (e.g. 30s:1000)`;
    }
    const durationMs = parseDuration(durationText);
    if (durationMs === undefined || durationMs <= 0) {
      return `stage ${index + 1} duration "${durationText}" is not a positive duration (e.g. 30s, 1m)`;
    }
    const target = Number(targetText);
    if (targetText.trim() === '' || !Number.isFinite(target) || target < 0) {
      return `stage ${index + 1} rate "${targetText}" is not a non-negative number`;
    }
    stages.push({ durationMs, target });
  }
  return stages;
}

interface Segment {
  startMs: number;
  durationMs: number;
  /** rates in arrivals per millisecond */
  fromRate: number;
  toRate: number;
  /** arrivals scheduled before this segment starts (a real number) */
  arrivalsBefore: number;
}

function toSegments(profile: RateProfile): Segment[] {
  const segments: Segment[] = [];
  let startMs = 0;
  let rate = profile.startRate;
  let arrivals = 0;
  for (const stage of profile.stages) {
    const fromRate = rate / 1000;
    const toRate = stage.target / 1000;
    segments.push({
      startMs,
      durationMs: stage.durationMs,
      fromRate,
      toRate,
      arrivalsBefore: arrivals,
    });
    arrivals += ((fromRate + toRate) / 2) * stage.durationMs;
    startMs += stage.durationMs;
    rate = stage.target;
  }
  return segments;
}

/** Expected arrivals in [0, t) under the profile: the integral of the rate. */
export function arrivalsBy(profile: RateProfile, tMs: number): number {
  let total = 0;
  for (const segment of toSegments(profile)) {
    const tau = Math.min(Math.max(tMs - segment.startMs, 0), segment.durationMs);
    const slope = (segment.toRate - segment.fromRate) / segment.durationMs;
    total += segment.fromRate * tau + (slope / 2) * tau * tau;
  }
  return total;
}

/** A live rate change: from `fromMs` (offset from the start; before it: from 0) on, × `multiplier`. */
export interface RateChange {
  fromMs: number;
  multiplier: number;
}

/**
 * Arrivals in [0, t) of a profile whose rate was multiplied live: each change holds from its
 * offset to the next (the one rule the agents' schedules and control's target line share).
 */
export function scaledArrivalsBy(
  profile: RateProfile,
  changes: readonly RateChange[],
  tMs: number,
): number {
  let total = 0;
  let fromMs = 0;
  let multiplier = 1;
  for (const change of [...changes, { fromMs: Number.POSITIVE_INFINITY, multiplier: 1 }]) {
    const until = Math.min(Math.max(change.fromMs, 0), tMs);
    if (until > fromMs) {
      total += multiplier * (arrivalsBy(profile, until) - arrivalsBy(profile, fromMs));
      fromMs = until;
    }
    multiplier = change.multiplier;
    if (fromMs >= tMs) break;
  }
  return total;
}

/**
 * Intended send times of an open-model run. Arrival k (0-based) is due at the instant the
 * cumulative arrival count N(t) reaches k, so a constant 5000 rps gives t_k = k / 5 ms
 * and the run schedules exactly ceil(N(T)) arrivals: no drift, no rounding per tick.
 * Within a linear ramp N is quadratic; we solve a·τ² + b·τ = c in the cancellation-free
 * form τ = 2c / (b + √(b² + 4ac)), which also covers a = 0 (constant) and a < 0 (ramp
 * down).
 */
export class ArrivalSchedule {
  readonly #profile: RateProfile;
  readonly #segments: Segment[];
  readonly totalMs: number;
  /** arrivals the profile plans as it stands (a rate multiplier changes it) */
  totalArrivals: number;
  #segmentIndex = 0;
  #k = 0;
  /**
   * A rate multiplier applies from `anchorMs` on: arrivals due after it follow the profile's
   * rate times `multiplier`. `anchorBase` is the profile's own cumulative count N at the
   * anchor and `anchorScaled` the count the run had reached by then (real numbers).
   */
  #multiplier = 1;
  #anchorMs = 0;
  #anchorBase = 0;
  #anchorScaled = 0;
  readonly #changes: RateChange[] = [];

  constructor(profile: RateProfile) {
    this.#profile = profile;
    this.#segments = toSegments(profile);
    this.totalMs = profileDurationMs(profile);
    const exact = arrivalsBy(profile, this.totalMs);
    this.totalArrivals = Math.ceil(exact - 1e-9);
  }

  /** Count of arrivals handed out so far. */
  get issued(): number {
    return this.#k;
  }

  get multiplier(): number {
    return this.#multiplier;
  }

  /**
   * From `atMs` (offset from the start) on, the rate is the profile's times `multiplier`
   * (> 0): the count so far stays, the rest of the profile is scaled. `atMs` must not be
   * before an arrival already sent (the caller passes now or later). An arrival handed out
   * but not sent yet must be asked for again (`retract`, then `next`).
   */
  setMultiplier(multiplier: number, atMs: number): void {
    if (!(multiplier > 0) || !Number.isFinite(multiplier)) {
      throw new RangeError(`a rate multiplier is a positive number, got ${multiplier}`);
    }
    const at = Math.min(Math.max(atMs, this.#anchorMs), this.totalMs);
    this.#changes.push({ fromMs: at, multiplier });
    this.#anchorScaled = scaledArrivalsBy(this.#profile, this.#changes, at);
    this.#anchorBase = arrivalsBy(this.#profile, at);
    this.#anchorMs = at;
    this.#multiplier = multiplier;
    const exact = scaledArrivalsBy(this.#profile, this.#changes, this.totalMs);
    // Never fewer than handed out already: they are sent or due.
    this.totalArrivals = Math.max(Math.ceil(exact - 1e-9), this.#k);
    this.#segmentIndex = 0;
  }

  /** The last arrival handed out was not sent: the next call hands it out again. */
  retract(): void {
    if (this.#k > 0) this.#k--;
  }

  /** Offset (ms from start) of the next arrival, or undefined when the profile is over. */
  next(): number | undefined {
    if (this.#k >= this.totalArrivals) return undefined;
    const k = this.#k;
    // Arrival k is due where the multiplied count reaches k: the profile's own count
    // reaches this (k itself while the multiplier is 1).
    const base = this.#anchorBase + (k - this.#anchorScaled) / this.#multiplier;
    while (this.#segmentIndex < this.#segments.length) {
      const segment = this.#segments[this.#segmentIndex] as Segment;
      const inSegment = ((segment.fromRate + segment.toRate) / 2) * segment.durationMs;
      const c = base - segment.arrivalsBefore;
      if (c < inSegment - 1e-9 || this.#segmentIndex === this.#segments.length - 1) {
        const a = (segment.toRate - segment.fromRate) / (2 * segment.durationMs);
        const b = segment.fromRate;
        const discriminant = Math.max(b * b + 4 * a * c, 0);
        const denominator = b + Math.sqrt(discriminant);
        const tau = c <= 0 ? 0 : denominator > 0 ? (2 * c) / denominator : segment.durationMs;
        this.#k++;
        return segment.startMs + Math.min(tau, segment.durationMs);
      }
      this.#segmentIndex++;
    }
    return undefined;
  }
}
