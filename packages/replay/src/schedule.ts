import { z } from 'zod';
import type { Corpus, ReplayRequest } from './corpus.js';
import { hash53 } from './hash.js';

export const ReplayOptions = z
  .object({
    /** Original timing × multiplier: 2 replays twice as fast, 0.5 at half speed. Default 1. */
    speed: z.number().positive().optional(),
    /** Ignore the original timing: send in the original order at this many requests/s. */
    rate: z.number().positive().optional(),
    agents: z.number().int().positive(),
  })
  .refine((o) => o.speed === undefined || o.rate === undefined, {
    message: 'give speed or rate, not both',
  });
export type ReplayOptions = z.input<typeof ReplayOptions>;

/** One intended send: `at` ms after the replay starts (the same clock on every agent). */
export interface ScheduledSend {
  at: number;
  /** Index in corpus.requests. */
  index: number;
  request: ReplayRequest;
}

export interface ShardPlan {
  agent: number;
  sessions: number;
  requests: number;
  /** Intended time of the shard's first and last send (0 when empty). */
  firstAt: number;
  lastAt: number;
  /**
   * The shard's sends in time order; a session's requests keep their corpus order. The
   * engine measures lateness against `at` and counts sends it had to drop.
   */
  sends(): Generator<ScheduledSend>;
}

export interface ReplayPlan {
  mode: 'speed' | 'rate';
  speed?: number;
  rate?: number;
  agents: number;
  requests: number;
  sessions: number;
  /** Intended time of the last send. */
  durationMs: number;
  shards: ShardPlan[];
}

/**
 * Splits a corpus across agents and times every send. Pure: every agent can compute the
 * same plan from the corpus and options and take its own shard.
 */
export function planReplay(corpus: Pick<Corpus, 'requests'>, options: ReplayOptions): ReplayPlan {
  const { speed, rate, agents } = ReplayOptions.parse(options);
  const { requests } = corpus;
  const sizes = new Map<string, number>();
  for (const r of requests) sizes.set(r.sessionKey, (sizes.get(r.sessionKey) ?? 0) + 1);
  const placement = assignSessions(sizes, agents);

  const at = new Float64Array(requests.length);
  for (let i = 0; i < requests.length; i++) {
    at[i] = rate === undefined ? requests[i]!.offsetMs / (speed ?? 1) : (i * 1000) / rate;
  }
  // A corpus is sorted by offset, but one edited by hand may not be: order by time, then
  // by corpus index, so equal times never reorder a session.
  const order = Array.from(requests.keys()).sort((a, b) => at[a]! - at[b]! || a - b);
  const byAgent: number[][] = Array.from({ length: agents }, () => []);
  for (const i of order) byAgent[placement.get(requests[i]!.sessionKey)!]!.push(i);
  const sessionsOf = new Array<number>(agents).fill(0);
  for (const agent of placement.values()) sessionsOf[agent]!++;

  const shards = byAgent.map(
    (indices, agent): ShardPlan => ({
      agent,
      sessions: sessionsOf[agent]!,
      requests: indices.length,
      firstAt: indices.length ? at[indices[0]!]! : 0,
      lastAt: indices.length ? at[indices.at(-1)!]! : 0,
      *sends() {
        for (const index of indices) yield { at: at[index]!, index, request: requests[index]! };
      },
    }),
  );
  return {
    mode: rate === undefined ? 'speed' : 'rate',
    ...(rate === undefined ? { speed: speed ?? 1 } : { rate }),
    agents,
    requests: requests.length,
    sessions: sizes.size,
    durationMs: order.length ? at[order.at(-1)!]! : 0,
    shards,
  };
}

/**
 * Session → agent by rendezvous hashing with bounded load: each session prefers the agent
 * its hash ranks first (stable: the same session lands on the same agent across corpora
 * and runs), unless that agent already holds more than (1 + slack) × its fair share of
 * requests, then the next in its ranking. Big sessions are placed first so they still fit;
 * a session bigger than any share goes to the least-loaded agent.
 */
export function assignSessions(
  sizes: ReadonlyMap<string, number>,
  agents: number,
  slack = 0.02,
): Map<string, number> {
  let total = 0;
  for (const size of sizes.values()) total += size;
  const capacity = Math.max(1, Math.ceil((total / agents) * (1 + slack)));
  const load = new Array<number>(agents).fill(0);
  const sessions = [...sizes.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const placement = new Map<string, number>();
  for (const [key, size] of sessions) {
    const ranked = Array.from({ length: agents }, (_, agent) => agent).sort(
      (a, b) => hash53(`${key}\u0000${b}`) - hash53(`${key}\u0000${a}`) || a - b,
    );
    let chosen = ranked.find((agent) => load[agent]! + size <= capacity);
    if (chosen === undefined) chosen = load.indexOf(Math.min(...load));
    load[chosen]! += size;
    placement.set(key, chosen);
  }
  return placement;
}
