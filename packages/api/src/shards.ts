import { z } from 'zod';

/** One agent's share of a run: what a BullMQ shard job carries. */
export const ShardJob = z.object({
  runId: z.string().min(1),
  shard: z.number().int().nonnegative(),
  shardCount: z.number().int().positive(),
  /** the validated scenario (parsed form), already carrying run overrides */
  scenario: z.record(z.string(), z.unknown()),
  /**
   * Open model: this shard's rate profile (rates already divided by shardCount).
   * Closed model: this shard's virtual users.
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
  ]),
  /** feeder rows dealt to this shard (control reads the files; agents hold no data) */
  feederRows: z.record(z.string(), z.array(z.record(z.string(), z.string()))),
  /** headers on every request (the shadow tag) */
  extraHeaders: z.array(z.tuple([z.string(), z.string()])).default([]),
  /** the target hosts this run may load: agents refuse anything else */
  allowedHosts: z.array(z.string()),
});
export type ShardJob = z.infer<typeof ShardJob>;

/** Splits a total across n shards as evenly as whole numbers allow (first ones get the rest). */
export function splitEvenly(total: number, shards: number): number[] {
  const base = Math.floor(total / shards);
  const rest = total - base * shards;
  return Array.from({ length: shards }, (_, i) => base + (i < rest ? 1 : 0));
}
