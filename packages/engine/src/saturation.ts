import {
  DEFAULT_SATURATION_LIMITS,
  type GeneratorCheck,
  type GeneratorReading,
  type GeneratorSaturation,
  type GeneratorTotals,
  type SaturationLimits,
} from '@loadline/api';

/**
 * Below this many late sends a second never counts as late-saturated: one late send of
 * twenty is a timer's jitter, not a generator that cannot keep up.
 */
export const MIN_LATE_SENDS = 10;

/** An interval shorter than this (ms) that kept up shows nothing: too short to fall behind in. */
export const MIN_JUDGED_MS = 250;

/** How much of a saturated generator's ceiling a hint plans on using: headroom. */
const PLANNED_SHARE = 0.8;

/**
 * A run of consecutive saturated seconds, as running figures: a saturated agent of a
 * days-long run keeps a few numbers, not every second it was behind.
 */
interface Streak {
  from: number;
  to: number;
  seconds: number;
  sent: number;
  /** the worst second's late share, event-loop delay and CPU */
  lateShare: number;
  eventLoopDelayP99Ms: number;
  cpu: number;
}

function startStreak(reading: GeneratorReading): Streak {
  return {
    from: reading.second,
    to: reading.second,
    seconds: 0,
    sent: 0,
    lateShare: 0,
    eventLoopDelayP99Ms: 0,
    cpu: 0,
  };
}

function extendStreak(streak: Streak, reading: GeneratorReading): void {
  streak.to = reading.second;
  streak.seconds++;
  streak.sent += reading.sent;
  const lateShare = reading.sent === 0 ? 0 : reading.late / reading.sent;
  streak.lateShare = Math.max(streak.lateShare, lateShare);
  streak.eventLoopDelayP99Ms = Math.max(streak.eventLoopDelayP99Ms, reading.eventLoopDelayP99Ms);
  streak.cpu = Math.max(streak.cpu, reading.cpu);
}

interface AgentState {
  totals: GeneratorTotals;
  /** seconds in which it had load to send (or was late with it) */
  loadSeconds: number;
  current: Streak | undefined;
  longest: Streak | undefined;
}

/** Why one second of one generator counts as saturated, or undefined when it kept up. */
export function saturatedBy(
  reading: GeneratorReading,
  limits: SaturationLimits,
): 'late' | 'event-loop delay' | undefined {
  if (reading.late >= MIN_LATE_SENDS && reading.late > limits.lateShare * reading.sent) {
    return 'late';
  }
  if (reading.eventLoopDelayP99Ms > limits.eventLoopDelayP99Ms) return 'event-loop delay';
  return undefined;
}

/**
 * The generators' self-check over a run: every agent's per-second readings, judged against
 * the limits. A generator is saturated when its longest run of consecutive saturated seconds
 * lasts `forS` seconds, or every judged second of a run shorter than that. Readings of one agent
 * arrive in order (each agent sends its intervals one after another).
 */
export class GeneratorJudge {
  readonly #limits: SaturationLimits;
  readonly #agents = new Map<string, AgentState>();

  constructor(limits: SaturationLimits = DEFAULT_SATURATION_LIMITS) {
    this.#limits = limits;
  }

  observe(agentId: string, reading: GeneratorReading): void {
    let state = this.#agents.get(agentId);
    if (!state) {
      state = {
        totals: { agentId, sent: 0, late: 0, dropped: 0, eventLoopDelayP99Ms: 0, cpu: 0 },
        loadSeconds: 0,
        current: undefined,
        longest: undefined,
      };
      this.#agents.set(agentId, state);
    }
    const { totals } = state;
    totals.sent += reading.sent;
    totals.late += reading.late;
    totals.dropped += reading.dropped;
    totals.eventLoopDelayP99Ms = Math.max(totals.eventLoopDelayP99Ms, reading.eventLoopDelayP99Ms);
    totals.cpu = Math.max(totals.cpu, reading.cpu);
    // The drain's last partial interval, with nothing left to send, is not a second of load.
    if (reading.sent === 0 && reading.late === 0 && reading.dropped === 0) return;
    const cause = saturatedBy(reading, this.#limits);
    const starved = reading.sent < MIN_LATE_SENDS && reading.late + reading.dropped > 0;
    const brief = reading.ms !== undefined && reading.ms < MIN_JUDGED_MS;
    if (cause === undefined && (starved || brief)) {
      // No sign of keeping up: a starved second sent almost nothing, late, and dropped the
      // rest; a brief one (a run's first interval, begun just before a wall-clock second)
      // was over before a generator could fall behind. Neither breaks a stretch nor counts.
      if (state.current && reading.second === state.current.to + 1) state.current.to++;
      return;
    }
    state.loadSeconds++;
    if (cause === undefined) {
      state.current = undefined;
      return;
    }
    if (!state.current || reading.second > state.current.to + 1) {
      state.current = startStreak(reading);
    }
    const streak = state.current;
    extendStreak(streak, reading);
    if (!state.longest || streak.seconds > state.longest.seconds) state.longest = streak;
  }

  /**
   * The verdict so far. `peakRate` (arrivals a second the whole run asks for at its peak,
   * open model) lets the hint say how many agents the rate needs; `agents` is how many ran.
   */
  check(options: { peakRate?: number; agents: number }): GeneratorCheck {
    const saturated: GeneratorSaturation[] = [];
    for (const [agentId, state] of this.#agents) {
      const streak = state.longest;
      if (!streak) continue;
      const needed = Math.min(this.#limits.forS, Math.max(state.loadSeconds, 1));
      if (streak.seconds < needed) continue;
      saturated.push({
        agentId,
        fromSecond: streak.from,
        toSecond: streak.to,
        seconds: streak.seconds,
        lateShare: round(streak.lateShare),
        eventLoopDelayP99Ms: round(streak.eventLoopDelayP99Ms),
        cpu: round(streak.cpu),
        sentPerSecond: Math.round(streak.sent / streak.seconds),
      });
    }
    const hint = saturated.length > 0 ? hintFor(saturated, options) : undefined;
    return {
      limits: this.#limits,
      agents: [...this.#agents.values()].map((s) => ({
        ...s.totals,
        eventLoopDelayP99Ms: round(s.totals.eventLoopDelayP99Ms),
        cpu: round(s.totals.cpu),
      })),
      saturated,
      ...(hint === undefined ? {} : { hint }),
    };
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/**
 * What would fix a saturated run: for an arrival rate, the agents it needs when each carries
 * 80 % of what the saturated ones managed; otherwise, fewer virtual users per agent.
 */
function hintFor(
  saturated: readonly GeneratorSaturation[],
  { peakRate, agents }: { peakRate?: number; agents: number },
): string {
  const ceiling = Math.min(...saturated.map((s) => s.sentPerSecond));
  const worst = saturated[0] as GeneratorSaturation;
  const what =
    worst.lateShare > 0.01
      ? `${Math.round(worst.lateShare * 100)} % of its sends late`
      : `event-loop delay p99 ${worst.eventLoopDelayP99Ms} ms`;
  const head = `generator ${worst.agentId} could not keep up (${what} for ${worst.seconds} s, about ${ceiling.toLocaleString('en-US')} sends/s)`;
  if (peakRate !== undefined && peakRate > 0 && ceiling > 0) {
    const needed = Math.max(agents + 1, Math.ceil(peakRate / (ceiling * PLANNED_SHARE)));
    return `${head}: ${peakRate.toLocaleString('en-US')}/s needs about ${needed} agents at ${PLANNED_SHARE * 100} % of that each (--agents ${needed})`;
  }
  return `${head}: spread the load over more agents (--agents ${agents * 2}) or lighten each iteration`;
}

/** The default limits with the parts a setting names over them (LOADLINE_SATURATION). */
export function saturationLimits(setting: Partial<SaturationLimits> = {}): SaturationLimits {
  return { ...DEFAULT_SATURATION_LIMITS, ...setting };
}

/** The highest arrival rate a rate profile asks for (arrivals a second). */
export function peakRateOf(profile: {
  startRate: number;
  stages: ReadonlyArray<{ target: number }>;
}): number {
  return Math.max(profile.startRate, ...profile.stages.map((s) => s.target));
}
