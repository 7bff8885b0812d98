import { asc, eq, getTableColumns, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import { cronProblems, isTimeZone } from './cron.js';
import type { Db } from './db.js';
import { requireEnvironment } from './environments.js';
import {
  ConflictError,
  sqlState,
  UNIQUE_VIOLATION,
  UnknownScheduleError,
  validate,
} from './errors.js';
import { newId } from './ids.js';
import { JsonObject, Name } from './inputs.js';
import { requireScenario, resolveScenarioVersion } from './scenarios.js';
import { scenarios, schedules } from './schema.js';

/** A schedule row plus the name of its scenario. */
export type Schedule = typeof schedules.$inferSelect & { scenario: string };

const Cron = z.string().superRefine((text, ctx) => {
  for (const message of cronProblems(text)) ctx.addIssue({ code: 'custom', message });
});

const fields = {
  name: Name,
  scenario: Name,
  /** A pinned scenario version; null runs the latest version each time. */
  version: z.number().int().positive().nullable(),
  cron: Cron,
  timezone: z.string().refine(isTimeZone, 'expected an IANA time zone like "Asia/Shanghai"'),
  environment: Name,
  agents: z.number().int().positive().max(10_000),
  options: JsonObject,
  paused: z.boolean(),
  createdBy: z.string().max(300).nullable(),
};

export const CreateScheduleInput = z.strictObject({
  ...fields,
  version: fields.version.default(null),
  timezone: fields.timezone.default('UTC'),
  agents: fields.agents.default(1),
  options: fields.options.default({}),
  paused: fields.paused.default(false),
  createdBy: fields.createdBy.default(null),
});
export type CreateScheduleInput = z.input<typeof CreateScheduleInput>;

export const UpdateScheduleInput = z.strictObject(fields).partial();
export type UpdateScheduleInput = z.input<typeof UpdateScheduleInput>;

function selectSchedules(db: Db) {
  return db
    .select({ ...getTableColumns(schedules), scenario: scenarios.name })
    .from(schedules)
    .innerJoin(scenarios, eq(schedules.scenarioId, scenarios.id));
}

const byIdOrName = (key: string) => or(eq(schedules.id, key), eq(schedules.name, key));

function duplicateName(error: unknown, name: string | undefined): never {
  if (sqlState(error) === UNIQUE_VIOLATION) {
    throw new ConflictError(`a schedule named "${name}" already exists`, { cause: error });
  }
  throw error;
}

export async function createSchedule(db: Db, input: CreateScheduleInput): Promise<Schedule> {
  const s = validate('schedule', CreateScheduleInput, input);
  return db.transaction(async (tx) => {
    const scenario =
      s.version === null
        ? { scenarioId: (await requireScenario(tx, s.scenario)).id }
        : await resolveScenarioVersion(tx, s.scenario, s.version);
    await requireEnvironment(tx, s.environment);
    const id = newId('sch');
    await tx
      .insert(schedules)
      .values({
        id,
        name: s.name,
        scenarioId: scenario.scenarioId,
        scenarioVersion: s.version,
        cron: s.cron.trim(),
        timezone: s.timezone,
        environment: s.environment,
        agents: s.agents,
        options: s.options,
        paused: s.paused,
        createdBy: s.createdBy,
      })
      .catch((error) => duplicateName(error, s.name));
    return getSchedule(tx, id);
  });
}

/** The schedule with this id or name, or UnknownScheduleError. */
export async function getSchedule(db: Db, idOrName: string): Promise<Schedule> {
  const [row] = await selectSchedules(db).where(byIdOrName(idOrName));
  if (!row) throw new UnknownScheduleError(idOrName);
  return row;
}

export async function listSchedules(db: Db, query: { paused?: boolean } = {}): Promise<Schedule[]> {
  return selectSchedules(db)
    .where(query.paused === undefined ? undefined : eq(schedules.paused, query.paused))
    .orderBy(asc(schedules.name));
}

/**
 * Changes some fields of a schedule. Naming another scenario without a version unpins it
 * (the old pin belonged to the old scenario).
 */
export async function updateSchedule(
  db: Db,
  idOrName: string,
  patch: UpdateScheduleInput,
): Promise<Schedule> {
  const p = validate('schedule change', UpdateScheduleInput, patch);
  return db.transaction(async (tx) => {
    const current = await getSchedule(tx, idOrName);
    const scenarioName = p.scenario ?? current.scenario;
    const version =
      p.version !== undefined ? p.version : p.scenario !== undefined ? null : undefined;
    const scenario =
      version === null || version === undefined
        ? { scenarioId: (await requireScenario(tx, scenarioName)).id }
        : await resolveScenarioVersion(tx, scenarioName, version);
    if (p.environment !== undefined) await requireEnvironment(tx, p.environment);
    await tx
      .update(schedules)
      .set({
        name: p.name,
        scenarioId: scenario.scenarioId,
        scenarioVersion: version,
        cron: p.cron?.trim(),
        timezone: p.timezone,
        environment: p.environment,
        agents: p.agents,
        options: p.options,
        paused: p.paused,
        updatedAt: sql`now()`,
      })
      .where(eq(schedules.id, current.id))
      .catch((error) => duplicateName(error, p.name));
    return getSchedule(tx, current.id);
  });
}

/** Pauses (or with `paused = false`, resumes) a schedule. */
export async function pauseSchedule(db: Db, idOrName: string, paused = true): Promise<Schedule> {
  return updateSchedule(db, idOrName, { paused });
}

/** Deletes a schedule; false when there was none. Its past runs keep existing. */
export async function deleteSchedule(db: Db, idOrName: string): Promise<boolean> {
  const deleted = await db
    .delete(schedules)
    .where(byIdOrName(idOrName))
    .returning({ id: schedules.id });
  return deleted.length > 0;
}
