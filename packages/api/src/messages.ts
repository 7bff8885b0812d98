import { z } from 'zod';
import { GeneratorReading } from './generator.js';
import { IntervalRow } from './intervals.js';

/** Control → agents, broadcast on the run's signal channel. */
export const ControlSignal = z.discriminatedUnion('type', [
  /** every shard is claimed: all agents start at `startAt` (epoch ms) */
  z.object({ type: z.literal('start'), runId: z.string(), startAt: z.number() }),
  /**
   * keep sending; an agent that hears nothing for its grace stops by itself (dead-man
   * switch). `rateMultiplier`: the rate the run goes at now (an agent that missed a `rate`
   * catches up within a second)
   */
  z.object({
    type: z.literal('keepalive'),
    runId: z.string(),
    at: z.number(),
    rateMultiplier: z.number().positive().optional(),
  }),
  /** from `at` (control's epoch ms) on, an open-model run goes at its profile × `rateMultiplier` */
  z.object({
    type: z.literal('rate'),
    runId: z.string(),
    rateMultiplier: z.number().positive(),
    at: z.number(),
  }),
  /** stop now: guardrail tripped, stop button, or a leak */
  z.object({ type: z.literal('abort'), runId: z.string(), reason: z.string() }),
]);
export type ControlSignal = z.infer<typeof ControlSignal>;

/** An agent's liveness, every second: who it is, what it runs, how saturated it is. */
export const Heartbeat = z.object({
  type: z.literal('heartbeat'),
  agentId: z.string(),
  host: z.string(),
  pid: z.number().int(),
  version: z.string(),
  runId: z.string().nullable(),
  at: z.number(),
  /** the generator's own saturation: event-loop delay p99 (ms) over the last second */
  eventLoopDelayP99Ms: z.number().nonnegative(),
  /**
   * control's clock minus the agent's (ms), measured through Redis's clock (ClockReading);
   * absent until the active control has published its own
   */
  clockOffsetMs: z.number().optional(),
  /** how far off `clockOffsetMs` may be: half of both round trips (ms) */
  clockUncertaintyMs: z.number().nonnegative().optional(),
  /** requests/s this agent carries, as `loadline bench --save-capacity` measured it on its machine */
  capacityRps: z.number().positive().optional(),
});
export type Heartbeat = z.infer<typeof Heartbeat>;

/** Agents → control, on the results stream. */
export const AgentMessage = z.discriminatedUnion('type', [
  Heartbeat,
  z.object({
    type: z.literal('claimed'),
    runId: z.string(),
    agentId: z.string(),
    shard: z.number().int(),
    /** the agent's offset to control's clock when it claimed (stored with the run) */
    clockOffsetMs: z.number().optional(),
  }),
  z.object({
    type: z.literal('intervals'),
    runId: z.string(),
    agentId: z.string(),
    shard: z.number().int(),
    rows: z.array(IntervalRow),
    /** the agent's own saturation over the interval (absent from older agents) */
    generator: GeneratorReading.optional(),
  }),
  z.object({
    type: z.literal('shard-done'),
    runId: z.string(),
    agentId: z.string(),
    shard: z.number().int(),
    aborted: z.boolean(),
    reason: z.string().optional(),
  }),
]);
export type AgentMessage = z.infer<typeof AgentMessage>;

/**
 * Parses a message at a process boundary. Returns undefined for anything malformed so
 * a bad or foreign message is counted and dropped, never trusted.
 */
export function parseAgentMessage(raw: string): AgentMessage | undefined {
  try {
    const result = AgentMessage.safeParse(JSON.parse(raw));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What the text an agent signed says: its message, or why it is none that agent may send
 * (`malformed`: no message; `foreign`: speaking for another agent than its signer).
 */
export function signedAgentMessage(
  signer: string,
  text: string,
): { message: AgentMessage } | { problem: 'malformed' | 'foreign' } {
  const message = parseAgentMessage(text);
  if (!message) return { problem: 'malformed' };
  if (message.agentId !== signer) return { problem: 'foreign' };
  return { message };
}

export function parseControlSignal(raw: string): ControlSignal | undefined {
  try {
    const result = ControlSignal.safeParse(JSON.parse(raw));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
