import { and, asc, eq, exists, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from './db.js';
import { validate } from './errors.js';
import { ProcessId } from './inputs.js';
import { getRun } from './runs.js';
import { runShards, runs } from './schema.js';
import { ACTIVE_STATUSES } from './transitions.js';

export type Shard = typeof runShards.$inferSelect;

export const ClaimShardInput = z.strictObject({
  runId: z.string().min(1),
  agentId: ProcessId,
  /** A particular shard (one queue job per shard); the lowest pending one when omitted. */
  shardIndex: z.number().int().min(0).optional(),
});
export type ClaimShardInput = z.input<typeof ClaimShardInput>;

export const FinishShardInput = z.strictObject({
  runId: z.string().min(1),
  shardIndex: z.number().int().min(0),
  agentId: ProcessId,
  state: z.enum(['finished', 'failed']).default('finished'),
});
export type FinishShardInput = z.input<typeof FinishShardInput>;

/**
 * Gives a pending shard of a live run to `agentId` and returns it, or null when there is
 * none to take (all claimed, that shard already taken, or the run has ended). Exclusive:
 * the candidate row is locked with SKIP LOCKED and the update re-checks `pending`, so of
 * any number of concurrent claims for one shard exactly one wins.
 */
export async function claimShard(db: Db, input: ClaimShardInput): Promise<Shard | null> {
  const { runId, agentId, shardIndex } = validate('shard claim', ClaimShardInput, input);
  const candidate = db
    .select({ shardIndex: runShards.shardIndex })
    .from(runShards)
    .where(
      and(
        eq(runShards.runId, runId),
        eq(runShards.state, 'pending'),
        shardIndex === undefined ? undefined : eq(runShards.shardIndex, shardIndex),
      ),
    )
    .orderBy(asc(runShards.shardIndex))
    .limit(1)
    .for('update', { skipLocked: true });
  const liveRun = db
    .select({ one: sql`1` })
    .from(runs)
    .where(and(eq(runs.id, runId), inArray(runs.status, [...ACTIVE_STATUSES])));
  const [claimed] = await db
    .update(runShards)
    .set({ state: 'claimed', agentId, claimedAt: sql`now()` })
    .where(
      and(
        eq(runShards.runId, runId),
        eq(runShards.state, 'pending'),
        inArray(runShards.shardIndex, candidate),
        exists(liveRun),
      ),
    )
    .returning();
  if (claimed) return claimed;
  await getRun(db, runId);
  return null;
}

/** Marks a shard the agent holds as finished or failed; false unless `agentId` held it. */
export async function finishShard(db: Db, input: FinishShardInput): Promise<boolean> {
  const { runId, shardIndex, agentId, state } = validate('shard result', FinishShardInput, input);
  const updated = await db
    .update(runShards)
    .set({ state, finishedAt: sql`now()` })
    .where(
      and(
        eq(runShards.runId, runId),
        eq(runShards.shardIndex, shardIndex),
        eq(runShards.state, 'claimed'),
        eq(runShards.agentId, agentId),
      ),
    )
    .returning({ shardIndex: runShards.shardIndex });
  return updated.length > 0;
}

/**
 * Puts a claimed shard back to pending (its agent was lost before it started). With
 * `agentId`, only if that agent holds it. Returns whether the shard was released.
 */
export async function releaseShard(
  db: Db,
  runId: string,
  shardIndex: number,
  agentId?: string,
): Promise<boolean> {
  const updated = await db
    .update(runShards)
    .set({ state: 'pending', agentId: null, claimedAt: null })
    .where(
      and(
        eq(runShards.runId, runId),
        eq(runShards.shardIndex, shardIndex),
        eq(runShards.state, 'claimed'),
        agentId === undefined ? undefined : eq(runShards.agentId, agentId),
      ),
    )
    .returning({ shardIndex: runShards.shardIndex });
  return updated.length > 0;
}

/** The shards of a run in index order (UnknownRunError when there is no such run). */
export async function listShards(db: Db, runId: string): Promise<Shard[]> {
  const shards = await db
    .select()
    .from(runShards)
    .where(eq(runShards.runId, runId))
    .orderBy(asc(runShards.shardIndex));
  if (shards.length === 0) await getRun(db, runId);
  return shards;
}
