import { z } from 'zod';

/**
 * The most planned sends one replay shard job may carry. A send is ~0.3–1 kB of JSON, so
 * this keeps a BullMQ job under ~100 MB; a bigger corpus needs more agents (or a rate).
 */
export const MAX_REPLAY_SENDS_PER_SHARD = 200_000;

/** One planned replay send: the exact captured request, due `at` ms after the common start. */
export const ReplaySend = z.object({
  at: z.number().nonnegative(),
  /** index into the model's `steps`: the request's method + path template */
  step: z.number().int().nonnegative(),
  /**
   * The send's session within the shard: a session's sends go one after another (the next
   * waits for the previous answer, its latency still counted from its own time).
   */
  session: z.number().int().nonnegative().optional(),
  method: z.string().min(1),
  /** path with query; the scenario target supplies scheme, host and base path */
  path: z.string().startsWith('/'),
  headers: z.array(z.tuple([z.string(), z.string()])),
  body: z.string().optional(),
  bodyEncoding: z.enum(['utf8', 'base64']).optional(),
});
export type ReplaySend = z.infer<typeof ReplaySend>;

/** A replay shard: its sessions' requests in time order (a session's order kept). */
export const ReplayModel = z.object({
  kind: z.literal('replay'),
  /** step names, e.g. `GET /api/products/{id}`; the tail of the mix is `other` */
  steps: z.array(z.string().min(1)).min(1),
  sends: z.array(ReplaySend).max(MAX_REPLAY_SENDS_PER_SHARD),
  /** sends in flight at once on this agent; beyond it a send is dropped and counted */
  maxInFlight: z.number().int().positive(),
});
export type ReplayModel = z.infer<typeof ReplayModel>;

/**
 * A k6 script's shard: the agent runs share `shard` of `shardCount` of every scenario in the
 * script's options (k6's execution segments); the script itself is the scenario's `k6`.
 */
export const K6Model = z.object({
  kind: z.literal('k6'),
  /** this shard runs setup() before it claims, and teardown() after its share */
  setup: z.boolean(),
});
export type K6Model = z.infer<typeof K6Model>;

/** One agent's share of a run: what a BullMQ shard job carries. */
export const ShardJob = z.object({
  runId: z.string().min(1),
  shard: z.number().int().nonnegative(),
  shardCount: z.number().int().positive(),
  /** the validated scenario (parsed form), already carrying run overrides */
  scenario: z.record(z.string(), z.unknown()),
  /**
   * Open model: this shard's rate profile (rates already divided by shardCount).
   * Closed model: this shard's virtual users. Replay: this shard's planned sends. k6: which
   * shard runs setup and teardown (its share is k6's execution segment shard/shardCount).
   */
  model: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('open'),
      startRate: z.number().nonnegative(),
      stages: z.array(
        z.object({ durationMs: z.number().positive(), target: z.number().nonnegative() }),
      ),
      maxInFlight: z.number().int().positive(),
    }),
    z.object({
      kind: z.literal('closed'),
      vus: z.number().int().positive(),
      durationMs: z.number().positive(),
    }),
    ReplayModel,
    K6Model,
  ]),
  /** feeder rows dealt to this shard (control reads the files; agents hold no data) */
  feederRows: z.record(z.string(), z.array(z.record(z.string(), z.string()))),
  /**
   * A k6 run: its script's code, map and files are stored once per run in Redis (not in
   * every job); the agent puts them back into `scenario.k6`, checked against this digest.
   */
  k6Script: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/) }).optional(),
  /** headers on every request (the shadow tag) */
  extraHeaders: z.array(z.tuple([z.string(), z.string()])).default([]),
  /** the target hosts this run may load: agents refuse anything else */
  allowedHosts: z.array(z.string()),
  /**
   * The environment secrets the scenario uses, as JSON sealed with the key enrolled agents
   * hold (AES-256-GCM, associated data the run id): Redis never holds them in clear.
   */
  secrets: z.string().optional(),
  /**
   * How long the agent goes on sending while it hears nothing from control (a restart, a
   * failover; a stop written to Redis still stops it at once). Past it, the agent stops.
   */
  controlGraceMs: z.number().int().min(0).max(600_000).default(30_000),
  /**
   * How many results streams control reads (its LOADLINE_RESULT_STREAMS): the agent pushes
   * to the one its id hashes to. Absent: 1.
   */
  resultStreams: z.number().int().min(1).max(64).optional(),
});
export type ShardJob = z.infer<typeof ShardJob>;

/** Splits a total across n shards as evenly as whole numbers allow (first ones get the rest). */
export function splitEvenly(total: number, shards: number): number[] {
  const base = Math.floor(total / shards);
  const rest = total - base * shards;
  return Array.from({ length: shards }, (_, i) => base + (i < rest ? 1 : 0));
}
