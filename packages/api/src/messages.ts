import { z } from 'zod';
import { GeneratorReading } from './generator.js';
import { IntervalRow } from './intervals.js';

/** The most JSON setup() may return: it travels to every agent in the start signal. */
export const MAX_SETUP_DATA = 4 * 1024 * 1024;

/** One k6 metric sink's aggregate (min and max are null while it has no samples). */
export const K6Sink = z.object({
  count: z.number().nonnegative(),
  sum: z.number(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  last: z.number(),
  passes: z.number().nonnegative(),
  /** trends: HdrHistogram, compressed base64 */
  histogram: z.string().optional(),
});
export type K6Sink = z.infer<typeof K6Sink>;

/**
 * What one agent's k6 runner measured so far: every metric with its threshold submetrics,
 * checks by group, and the groups seen. Control merges every agent's to judge thresholds
 * and to build k6's summary.
 */
export const K6Metrics = z.object({
  elapsedMs: z.number().nonnegative(),
  metrics: z.array(
    z.object({
      name: z.string(),
      type: z.enum(['counter', 'gauge', 'rate', 'trend']),
      valueType: z.enum(['default', 'time', 'data']),
      sink: K6Sink,
      submetrics: z.array(z.object({ filter: z.record(z.string(), z.string()), sink: K6Sink })),
    }),
  ),
  /** [group path, check name, passes, fails] */
  checks: z.array(z.tuple([z.string(), z.string(), z.number(), z.number()])),
  groups: z.array(z.string()),
});
export type K6Metrics = z.infer<typeof K6Metrics>;

/** Control → agents, broadcast on the run's signal channel. */
export const ControlSignal = z.discriminatedUnion('type', [
  /** every shard is claimed: all agents start at `startAt` (epoch ms) */
  z.object({ type: z.literal('start'), runId: z.string(), startAt: z.number() }),
  /**
   * a k6 run's setup() has run (on shard 0, from the start): every agent's VUs start at
   * `at` (control's epoch ms), with what setup() returned as JSON
   */
  z.object({
    type: z.literal('setup-done'),
    runId: z.string(),
    at: z.number(),
    setupData: z.string().max(MAX_SETUP_DATA).optional(),
  }),
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
  /** a k6 run's setup() ran on this shard (from the start): what it returned, as JSON */
  z.object({
    type: z.literal('k6-setup'),
    runId: z.string(),
    agentId: z.string(),
    shard: z.number().int(),
    setupData: z.string().max(MAX_SETUP_DATA).optional(),
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
  /** a k6 shard's metrics so far (cumulative: the latest one counts), every second */
  z.object({
    type: z.literal('k6-metrics'),
    runId: z.string(),
    agentId: z.string(),
    shard: z.number().int(),
    metrics: K6Metrics,
  }),
  z.object({
    type: z.literal('shard-done'),
    runId: z.string(),
    agentId: z.string(),
    shard: z.number().int(),
    aborted: z.boolean(),
    reason: z.string().optional(),
    /** a k6 shard: how its script ended on this agent, as k6's exit code, and its final metrics */
    k6ExitCode: z.number().int().optional(),
    k6Metrics: K6Metrics.optional(),
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
