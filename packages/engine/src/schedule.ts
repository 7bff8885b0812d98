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

/**
 * Intended send times of an open-model run. Arrival k (0-based) is due at the instant the
 * cumulative arrival count N(t) reaches k, so a constant 5000 rps gives t_k = k / 5 ms
 * and the run schedules exactly ceil(N(T)) arrivals: no drift, no rounding per tick.
 * Within a linear ramp N is quadratic; we solve a·τ² + b·τ = c in the cancellation-free
 * form τ = 2c / (b + √(b² + 4ac)), which also covers a = 0 (constant) and a < 0 (ramp
 * down).
 */
export class ArrivalSchedule {
  readonly #segments: Segment[];
  readonly totalMs: number;
  readonly totalArrivals: number;
  #segmentIndex = 0;
  #k = 0;

  constructor(profile: RateProfile) {
    this.#segments = toSegments(profile);
    this.totalMs = profileDurationMs(profile);
    const exact = arrivalsBy(profile, this.totalMs);
    // Guard against 49999.99999 from float sums when the true count is whole.
    this.totalArrivals = Math.ceil(exact - 1e-9);
  }

  /** Count of arrivals handed out so far. */
  get issued(): number {
    return this.#k;
  }

  /** Offset (ms from start) of the next arrival, or undefined when the profile is over. */
  next(): number | undefined {
    if (this.#k >= this.totalArrivals) return undefined;
    const k = this.#k;
    while (this.#segmentIndex < this.#segments.length) {
      const segment = this.#segments[this.#segmentIndex] as Segment;
      const inSegment = ((segment.fromRate + segment.toRate) / 2) * segment.durationMs;
      const c = k - segment.arrivalsBefore;
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
