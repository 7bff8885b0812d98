import { RunStatus, TERMINAL_STATUSES } from '@loadline/api';
import { and, desc, eq, getTableColumns, gte, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { Db } from './db.js';
import { requireEnvironment } from './environments.js';
import {
  ConflictError,
  InvalidInputError,
  sqlState,
  UNIQUE_VIOLATION,
  UnknownRunError,
  UnknownScheduleError,
  validate,
} from './errors.js';
import { newId } from './ids.js';
import { JsonObject, Name, RunId } from './inputs.js';
import { requireScenario, resolveScenarioVersion } from './scenarios.js';
import { runShards, runs, scenarios, schedules } from './schema.js';
import { ACTIVE_STATUSES, assertTransition } from './transitions.js';

/** A run row plus the name of its scenario. */
export type Run = typeof runs.$inferSelect & { scenario: string };

export const CreateRunInput = z.strictObject({
  scenario: Name,
  /** Scenario version to run; the latest when omitted. */
  version: z.number().int().positive().optional(),
  environment: Name,
  /** Agents requested; the run is split into this many shards. */
  agents: z.number().int().positive().max(10_000),
  /** Overrides of the scenario for this run (rate, duration, …). */
  options: JsonObject.default({}),
  scheduleId: z.string().min(1).optional(),
  /** Who launched it, as the audit log names actors (`user:alice`, `schedule:nightly`). */
  launchedBy: z.string().max(300).optional(),
  /** A launch in a protected environment starts out waiting for a second person. */
  awaitingApproval: z.boolean().default(false),
  /** Normally generated (`run_` + a time-sortable id); settable for imports and tests. */
  id: RunId.optional(),
});
export type CreateRunInput = z.input<typeof CreateRunInput>;

export const ListRunsQuery = z.strictObject({
  scenario: Name.optional(),
  environment: Name.optional(),
  status: z.union([RunStatus, z.array(RunStatus).min(1)]).optional(),
  /** Created at or after. */
  from: z.date().optional(),
  /** Created before. */
  to: z.date().optional(),
  limit: z.number().int().min(1).max(500).default(50),
  /** `nextCursor` of the previous page. */
  cursor: z.string().optional(),
});
export type ListRunsQuery = z.input<typeof ListRunsQuery>;

export interface RunPage {
  runs: Run[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export const TransitionFields = z.strictObject({
  /** Defaults to now on the first move to `running`. */
  startedAt: z.date().optional(),
  /** Defaults to now on a move to a terminal status. */
  endedAt: z.date().optional(),
  /** Defaults to true for `passed` and false for `failed`. */
  passed: z.boolean().optional(),
  summary: JsonObject.optional(),
  abortReason: z.string().max(2000).optional(),
});
export type TransitionFields = z.input<typeof TransitionFields>;

const runColumns = { ...getTableColumns(runs), scenario: scenarios.name };

function selectRuns(db: Db) {
  return db.select(runColumns).from(runs).innerJoin(scenarios, eq(runs.scenarioId, scenarios.id));
}

async function requireSchedule(db: Db, id: string): Promise<void> {
  const [row] = await db.select({ id: schedules.id }).from(schedules).where(eq(schedules.id, id));
  if (!row) throw new UnknownScheduleError(id);
}

/** Creates a queued run of a scenario version with one pending shard per requested agent. */
export async function createRun(db: Db, input: CreateRunInput): Promise<Run> {
  const run = validate('run', CreateRunInput, input);
  return db.transaction(async (tx) => {
    const { scenarioId, version } = await resolveScenarioVersion(tx, run.scenario, run.version);
    await requireEnvironment(tx, run.environment);
    if (run.scheduleId !== undefined) await requireSchedule(tx, run.scheduleId);
    const id = run.id ?? newId('run');
    let row: typeof runs.$inferSelect;
    try {
      [row] = (await tx
        .insert(runs)
        .values({
          id,
          scenarioId,
          scenarioVersion: version,
          environment: run.environment,
          scheduleId: run.scheduleId ?? null,
          launchedBy: run.launchedBy ?? null,
          status: run.awaitingApproval ? 'awaiting-approval' : 'queued',
          agentsRequested: run.agents,
          options: run.options,
        })
        .returning()) as [typeof runs.$inferSelect];
    } catch (error) {
      if (sqlState(error) === UNIQUE_VIOLATION) {
        throw new ConflictError(`run "${id}" already exists`, { cause: error });
      }
      throw error;
    }
    await tx
      .insert(runShards)
      .values(Array.from({ length: run.agents }, (_, shardIndex) => ({ runId: id, shardIndex })));
    return { ...row, scenario: run.scenario };
  });
}

export async function getRun(db: Db, id: string): Promise<Run> {
  const [row] = await selectRuns(db).where(eq(runs.id, id));
  if (!row) throw new UnknownRunError(id);
  return row;
}

/** Runs newest first, a page at a time (keyset pagination on created_at, id). */
export async function listRuns(db: Db, query: ListRunsQuery = {}): Promise<RunPage> {
  const q = validate('run query', ListRunsQuery, query);
  const where: (SQL | undefined)[] = [];
  if (q.scenario !== undefined) {
    where.push(eq(runs.scenarioId, (await requireScenario(db, q.scenario)).id));
  }
  if (q.environment !== undefined) where.push(eq(runs.environment, q.environment));
  if (q.status !== undefined) {
    where.push(inArray(runs.status, Array.isArray(q.status) ? q.status : [q.status]));
  }
  if (q.from) where.push(gte(runs.createdAt, q.from));
  if (q.to) where.push(lt(runs.createdAt, q.to));
  if (q.cursor !== undefined) {
    const after = decodeCursor(q.cursor);
    if (!after) {
      throw new InvalidInputError('run query', [
        { path: 'cursor', message: 'not a cursor returned by listRuns' },
      ]);
    }
    where.push(
      or(
        lt(runs.createdAt, after.createdAt),
        and(eq(runs.createdAt, after.createdAt), lt(runs.id, after.id)),
      ),
    );
  }
  const rows = await selectRuns(db)
    .where(and(...where))
    .orderBy(desc(runs.createdAt), desc(runs.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return { runs: page, nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null };
}

/**
 * Compare-and-set on a run's status: moves run `id` to `to` only if its status is one of
 * `from`, and returns whether it did. Throws InvalidTransitionError when the lifecycle never
 * allows `from → to` (nothing is written) and UnknownRunError when there is no such run.
 */
export async function transitionRun(
  db: Db,
  id: string,
  from: readonly RunStatus[],
  to: RunStatus,
  fields: TransitionFields = {},
): Promise<boolean> {
  const statuses = validate('source statuses', z.array(RunStatus), from);
  const target = validate('target status', RunStatus, to);
  assertTransition(statuses, target);
  const f = validate('run fields', TransitionFields, fields);
  const terminal = TERMINAL_STATUSES.has(target);
  const passedDefault = target === 'passed' ? true : target === 'failed' ? false : undefined;
  const updated = await db
    .update(runs)
    .set({
      status: target,
      startedAt:
        f.startedAt ?? (target === 'running' ? sql`coalesce(${runs.startedAt}, now())` : undefined),
      endedAt: f.endedAt ?? (terminal ? sql`now()` : undefined),
      passed: f.passed ?? passedDefault,
      summary: f.summary,
      abortReason: f.abortReason,
      leaseUntil: terminal ? null : undefined,
    })
    .where(and(eq(runs.id, id), inArray(runs.status, statuses)))
    .returning({ id: runs.id });
  if (updated.length > 0) return true;
  await getRun(db, id);
  return false;
}

const liveLease = (coordinator: string) =>
  or(
    sql`${runs.leaseUntil} is null`,
    sql`${runs.leaseUntil} < now()`,
    eq(runs.coordinator, coordinator),
  );

export const LeaseInput = z.strictObject({
  runId: z.string().min(1),
  /** The control replica asking, e.g. `control@host:pid`. */
  coordinator: z.string().min(1).max(200),
  ttlMs: z.number().int().min(100).max(3_600_000),
});
export type LeaseInput = z.input<typeof LeaseInput>;

/**
 * Takes or renews the coordination lease of a live run for `ttlMs` (database clock). True
 * when `coordinator` now holds it; false when another replica's lease has not expired or
 * the run has ended.
 */
export async function acquireRunLease(db: Db, input: LeaseInput): Promise<boolean> {
  const { runId, coordinator, ttlMs } = validate('lease', LeaseInput, input);
  const updated = await db
    .update(runs)
    .set({ coordinator, leaseUntil: sql`now() + ${ttlMs}::float8 * interval '1 millisecond'` })
    .where(
      and(eq(runs.id, runId), inArray(runs.status, [...ACTIVE_STATUSES]), liveLease(coordinator)),
    )
    .returning({ id: runs.id });
  if (updated.length > 0) return true;
  await getRun(db, runId);
  return false;
}

/**
 * Gives the lease up (a clean shutdown); false when `coordinator` did not hold it. The lease
 * ends now rather than vanishing: a run whose lease ended is an orphan at once, while one
 * that never had a lease may be a launch under way.
 */
export async function releaseRunLease(
  db: Db,
  runId: string,
  coordinator: string,
): Promise<boolean> {
  const updated = await db
    .update(runs)
    .set({ coordinator: null, leaseUntil: sql`now()` })
    .where(and(eq(runs.id, runId), eq(runs.coordinator, coordinator)))
    .returning({ id: runs.id });
  return updated.length > 0;
}

/** Live runs nobody coordinates (no lease, or an expired one): for a replica to pick up. */
export async function listOrphanedRuns(db: Db): Promise<Run[]> {
  return selectRuns(db)
    .where(
      and(
        inArray(runs.status, [...ACTIVE_STATUSES]),
        or(sql`${runs.leaseUntil} is null`, sql`${runs.leaseUntil} < now()`),
      ),
    )
    .orderBy(runs.createdAt, runs.id);
}
