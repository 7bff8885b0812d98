import { z } from 'zod';
import type { Redis } from './connection.js';
import type { RedisNames } from './names.js';

/**
 * This process's clock against the Redis server's, NTP-style: the server's reading taken
 * between two of ours is assumed to be at their midpoint, so the offset is off by at most
 * half the round trip; of several readings the one with the shortest round trip wins.
 */
export interface ClockReading {
  /** the server's clock minus ours (ms) */
  offsetMs: number;
  /** the round trip of the reading used: the offset is within ± half of it */
  rttMs: number;
}

export async function readRedisClock(redis: Redis, samples = 5): Promise<ClockReading> {
  let best: ClockReading | undefined;
  for (let i = 0; i < samples; i++) {
    const before = Date.now();
    const [seconds, micros] = await redis.time();
    const after = Date.now();
    const server = Number(seconds) * 1000 + Number(micros) / 1000;
    const reading = { offsetMs: server - (before + after) / 2, rttMs: after - before };
    if (best === undefined || reading.rttMs < best.rttMs) best = reading;
  }
  return best as ClockReading;
}

/**
 * NTP's clock filter, simply: of the readings of the last minute, the one with the shortest
 * round trip (the least room for error). One slow reading (a loaded machine, a busy Redis)
 * then costs nothing; a clock that was stepped is followed within a minute.
 */
export class ClockFilter {
  readonly #readings: Array<ClockReading & { at: number }> = [];

  constructor(readonly keepMs = 60_000) {}

  /** Adds a reading; the best of the recent ones. */
  add(reading: ClockReading, at = Date.now()): ClockReading {
    this.#readings.push({ ...reading, at });
    while ((this.#readings[0]?.at ?? at) < at - this.keepMs) this.#readings.shift();
    let best = this.#readings[0] as ClockReading & { at: number };
    for (const r of this.#readings) if (r.rttMs <= best.rttMs) best = r;
    return { offsetMs: best.offsetMs, rttMs: best.rttMs };
  }
}

/**
 * Control's clock as the active control last published it: Redis's clock minus control's.
 * Agents cannot reach control (only Redis and their targets), so both sides measure their
 * offset to the one clock they share, Redis's, and an agent's offset to control is the
 * difference: (redis − agent) − (redis − control) = control − agent.
 */
export const ControlClock = z.object({
  offsetMs: z.number(),
  rttMs: z.number().nonnegative(),
  /** control's epoch ms when it measured */
  at: z.number(),
  controlId: z.string(),
});
export type ControlClock = z.infer<typeof ControlClock>;

/** Long enough to outlive a takeover; a control publishes far more often (CONTROL_CLOCK_EVERY_MS). */
const CONTROL_CLOCK_TTL_S = 60;
export const CONTROL_CLOCK_EVERY_MS = 5000;

export async function publishControlClock(
  redis: Redis,
  names: RedisNames,
  controlId: string,
  filter: ClockFilter,
): Promise<ControlClock> {
  const reading = filter.add(await readRedisClock(redis));
  const clock: ControlClock = { ...reading, at: Date.now(), controlId };
  await redis.set(names.controlClock, JSON.stringify(clock), 'EX', CONTROL_CLOCK_TTL_S);
  return clock;
}

/** An agent's offset to control's clock (control − agent, ms), or undefined before control published one. */
export interface AgentClock {
  offsetMs: number;
  /** bound on the error: half of both round trips */
  uncertaintyMs: number;
}

export async function readAgentClock(
  redis: Redis,
  names: RedisNames,
  filter: ClockFilter,
): Promise<AgentClock | undefined> {
  const [reading, published] = await Promise.all([
    readRedisClock(redis),
    redis.get(names.controlClock),
  ]);
  const own = filter.add(reading);
  if (published === null) return undefined;
  let control: ControlClock;
  try {
    control = ControlClock.parse(JSON.parse(published));
  } catch {
    return undefined;
  }
  return {
    offsetMs: Math.round((own.offsetMs - control.offsetMs) * 10) / 10,
    uncertaintyMs: Math.round(((own.rttMs + control.rttMs) / 2) * 10) / 10,
  };
}
