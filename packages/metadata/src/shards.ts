import { and, asc, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from './db.js';
import { validate } from './errors.js';
import { ProcessId } from './inputs.js';
import { getRun } from './runs.js';
import {
  type JsonObject,
  type K6Setup,
  runCoordination,
  runRateChanges,
  runShards,
  runs,
} from './schema.js';
import { ACTIVE_STATUSES } from './transitions.js';

export type Shard = typeof runShards.$inferSelect;

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

/**
 * A run's coordination as written: enough for any control to go on coordinating it
 * (after a restart, or as the standby taking over) without the memory of the one that began.
 */
export interface Coordination {
  runId: string;
  /** what the coordinator planned (its own shape: control parses it) */
  plan: JsonObject;
  waitingSince: Date;
  /** the common start (epoch ms) once every shard was claimed */
  startAtMs: number | null;
  /** a stop decided (by a user, a guardrail, storage) that every agent must hear */
  stopReason: string | null;
  /** the rate multiplier the run goes at now (1 unless changed live) */
  rateMultiplier: number;
  /** a k6 run's setup() once it ran: when the VUs start, and its data */
  k6Setup: K6Setup | null;
  shards: Shard[];
}

/** Writes a run's plan as it starts waiting for agents (a second write keeps the first). */
export async function beginCoordination(db: Db, runId: string, plan: JsonObject): Promise<void> {
  await db.insert(runCoordination).values({ runId, plan }).onConflictDoNothing();
}

/** The run's coordination, or null when no control ever began coordinating it. */
export async function getCoordination(db: Db, runId: string): Promise<Coordination | null> {
  const [row] = await db.select().from(runCoordination).where(eq(runCoordination.runId, runId));
  if (!row) {
    await getRun(db, runId);
    return null;
  }
  const shards = await listShards(db, runId);
  return {
    runId,
    plan: row.plan,
    waitingSince: row.waitingSince,
    startAtMs: row.startAtMs,
    stopReason: row.stopReason,
    rateMultiplier: row.rateMultiplier,
    k6Setup: row.k6Setup ?? null,
    shards,
  };
}

export const RateChange = z.strictObject({
  runId: z.string().min(1),
  /** control's epoch ms from which every agent goes at the new rate */
  atMs: z.number().int().nonnegative(),
  rateMultiplier: z.number().positive().finite(),
  changedBy: z.string().min(1).max(256),
});
export type RateChange = z.infer<typeof RateChange>;

/**
 * Writes a live rate change: the run's multiplier from now on and its timeline entry, in one
 * transaction. False when the run is not active (or was never coordinated).
 */
export async function recordRateChange(db: Db, input: RateChange): Promise<boolean> {
  const change = validate('rate change', RateChange, input);
  const activeRun = sql`exists (select 1 from ${runs} where ${runs.id} = ${change.runId} and ${inArray(runs.status, [...ACTIVE_STATUSES])})`;
  return db.transaction(async (tx) => {
    const updated = await tx
      .update(runCoordination)
      .set({ rateMultiplier: change.rateMultiplier, updatedAt: sql`now()` })
      .where(and(eq(runCoordination.runId, change.runId), activeRun))
      .returning({ runId: runCoordination.runId });
    if (updated.length === 0) return false;
    await tx
      .insert(runRateChanges)
      .values(change)
      .onConflictDoUpdate({
        target: [runRateChanges.runId, runRateChanges.atMs],
        set: { rateMultiplier: change.rateMultiplier, changedBy: change.changedBy },
      });
    return true;
  });
}

/** A run's live rate changes, oldest first. */
export async function listRateChanges(db: Db, runId: string): Promise<RateChange[]> {
  return db
    .select()
    .from(runRateChanges)
    .where(eq(runRateChanges.runId, runId))
    .orderBy(asc(runRateChanges.atMs));
}

export const ShardClaim = z.strictObject({
  runId: z.string().min(1),
  shardIndex: z.number().int().min(0),
  agentId: ProcessId,
  /** the agent's offset to control's clock (ms), as it measured it */
  clockOffsetMs: z.number().finite().optional(),
});
export type ShardClaim = z.input<typeof ShardClaim>;

/**
 * The one place a shard is claimed: it goes to `agentId` when pending, its run is active
 * and has not started yet (a claim after the common start would run a shard the run went on
 * without). True also when that agent already holds it (its claim delivered twice); false
 * when the shard is another's, ended, or the run started or ended.
 */
export async function claimRunShard(db: Db, input: ShardClaim): Promise<boolean> {
  const { runId, shardIndex, agentId, clockOffsetMs } = validate('shard claim', ShardClaim, input);
  const notStarted = sql`exists (select 1 from ${runCoordination} where ${runCoordination.runId} = ${runId} and ${runCoordination.startAtMs} is null)`;
  const activeRun = sql`exists (select 1 from ${runs} where ${runs.id} = ${runId} and ${inArray(runs.status, [...ACTIVE_STATUSES])})`;
  const updated = await db
    .update(runShards)
    .set({ state: 'claimed', agentId, claimedAt: sql`now()`, clockOffsetMs: clockOffsetMs ?? null })
    .where(
      and(
        eq(runShards.runId, runId),
        eq(runShards.shardIndex, shardIndex),
        or(
          eq(runShards.state, 'pending'),
          and(eq(runShards.state, 'claimed'), eq(runShards.agentId, agentId)),
        ),
        notStarted,
        activeRun,
      ),
    )
    .returning({ shardIndex: runShards.shardIndex });
  return updated.length > 0;
}

/** Writes the common start, once: the start already written (by another control) wins. */
export async function recordStart(db: Db, runId: string, startAtMs: number): Promise<number> {
  await db
    .update(runCoordination)
    .set({ startAtMs, updatedAt: sql`now()` })
    .where(and(eq(runCoordination.runId, runId), isNull(runCoordination.startAtMs)));
  const [row] = await db
    .select({ startAtMs: runCoordination.startAtMs })
    .from(runCoordination)
    .where(eq(runCoordination.runId, runId));
  return row?.startAtMs ?? startAtMs;
}

/** Writes a k6 run's setup, once: one written already (by another control) wins. */
export async function recordK6Setup(db: Db, runId: string, setup: K6Setup): Promise<K6Setup> {
  await db
    .update(runCoordination)
    .set({ k6Setup: setup, updatedAt: sql`now()` })
    .where(and(eq(runCoordination.runId, runId), isNull(runCoordination.k6Setup)));
  const [row] = await db
    .select({ k6Setup: runCoordination.k6Setup })
    .from(runCoordination)
    .where(eq(runCoordination.runId, runId));
  return row?.k6Setup ?? setup;
}

/** Writes why the run stops, once: the first reason stays. Returns the reason that stands. */
export async function recordStop(db: Db, runId: string, reason: string): Promise<string> {
  await db
    .update(runCoordination)
    .set({ stopReason: reason, updatedAt: sql`now()` })
    .where(and(eq(runCoordination.runId, runId), isNull(runCoordination.stopReason)));
  const [row] = await db
    .select({ stopReason: runCoordination.stopReason })
    .from(runCoordination)
    .where(eq(runCoordination.runId, runId));
  return row?.stopReason ?? reason;
}

export const ShardEnd = z.strictObject({
  runId: z.string().min(1),
  shardIndex: z.number().int().min(0),
  agentId: ProcessId,
  /** stopped before its time (its reason says why) */
  aborted: z.boolean(),
  reason: z.string().max(4000).optional(),
  /** a k6 script's shard: its runner's exit code and its final metrics */
  k6ExitCode: z.number().int().optional(),
  k6Metrics: z.record(z.string(), z.unknown()).optional(),
});
export type ShardEnd = z.input<typeof ShardEnd>;

/**
 * A shard's end as its agent reports it: only the agent holding it ends a claimed shard (an
 * agent that refused a shard it never claimed ends it too). False when it was not theirs
 * to end, or it has ended already.
 */
export async function endShard(db: Db, input: ShardEnd): Promise<boolean> {
  const { runId, shardIndex, agentId, aborted, reason, k6ExitCode, k6Metrics } = validate(
    'shard end',
    ShardEnd,
    input,
  );
  const updated = await db
    .update(runShards)
    .set({
      state: aborted ? 'failed' : 'finished',
      agentId,
      reason: reason ?? null,
      finishedAt: sql`now()`,
      ...(k6ExitCode === undefined ? {} : { k6ExitCode }),
      ...(k6Metrics === undefined ? {} : { k6Metrics: k6Metrics as JsonObject }),
    })
    .where(
      and(
        eq(runShards.runId, runId),
        eq(runShards.shardIndex, shardIndex),
        or(
          eq(runShards.state, 'pending'),
          and(eq(runShards.state, 'claimed'), eq(runShards.agentId, agentId)),
        ),
      ),
    )
    .returning({ shardIndex: runShards.shardIndex });
  return updated.length > 0;
}

/** A claimed shard whose agent vanished: lost (the run goes on without it). */
export async function loseShard(db: Db, runId: string, shardIndex: number): Promise<boolean> {
  const updated = await db
    .update(runShards)
    .set({ state: 'lost', finishedAt: sql`now()` })
    .where(
      and(
        eq(runShards.runId, runId),
        eq(runShards.shardIndex, shardIndex),
        eq(runShards.state, 'claimed'),
      ),
    )
    .returning({ shardIndex: runShards.shardIndex });
  return updated.length > 0;
}

export interface ShardProgress {
  shardIndex: number;
  /** requests its intervals counted so far */
  requests: number;
  lastIntervalAt: Date;
}

/** How far each shard got, as of its last interval (written about once a second). */
export async function recordShardProgress(
  db: Db,
  runId: string,
  progress: readonly ShardProgress[],
): Promise<void> {
  if (progress.length === 0) return;
  // One statement per tick, however many shards (a run of a thousand agents writes them
  // all each second). Each column goes as one array literal of numbers (times as epoch
  // milliseconds): bound the same way on node-postgres and PGlite.
  const numbers = (values: number[]) => `{${values.map((v) => Math.trunc(v)).join(',')}}`;
  await db.execute(sql`
    update ${runShards} set
      requests = p.requests,
      last_interval_at = to_timestamp(p.at_ms / 1000.0)
    from unnest(
      ${numbers(progress.map((p) => p.shardIndex))}::int[],
      ${numbers(progress.map((p) => p.requests))}::bigint[],
      ${numbers(progress.map((p) => p.lastIntervalAt.getTime()))}::float8[]
    ) as p(shard_index, requests, at_ms)
    where ${runShards.runId} = ${runId} and ${runShards.shardIndex} = p.shard_index`);
}
