import { EnvironmentInput } from '@loadline/api/http';
import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import {
  ConflictError,
  FOREIGN_KEY_VIOLATION,
  sqlState,
  UnknownEnvironmentError,
  validate,
} from './errors.js';
import { environments } from './schema.js';

export type Environment = typeof environments.$inferSelect;

export { EnvironmentInput };

/** Creates or replaces an environment; `createdAt` survives a replace. */
export async function upsertEnvironment(db: Db, input: EnvironmentInput): Promise<Environment> {
  const env = validate('environment', EnvironmentInput, input);
  const allowedHosts = [...new Set(env.allowedHosts)];
  const [row] = await db
    .insert(environments)
    .values({ ...env, allowedHosts })
    .onConflictDoUpdate({
      target: environments.name,
      set: {
        baseUrls: env.baseUrls,
        allowedHosts,
        requiresShadow: env.requiresShadow,
        protected: env.protected,
        metricsTargets: env.metricsTargets,
        weightDrivers: env.weightDrivers,
        controlGraceS: env.controlGraceS,
        maxRate: env.maxRate,
        updatedAt: sql`now()`,
      },
    })
    .returning();
  return row!;
}

/** The environment called `name`, or UnknownEnvironmentError. */
export async function getEnvironment(db: Db, name: string): Promise<Environment> {
  const [row] = await db.select().from(environments).where(eq(environments.name, name));
  if (!row) throw new UnknownEnvironmentError(name);
  return row;
}

/** Throws UnknownEnvironmentError unless an environment called `name` exists. */
export async function requireEnvironment(db: Db, name: string): Promise<void> {
  const [row] = await db
    .select({ name: environments.name })
    .from(environments)
    .where(eq(environments.name, name));
  if (!row) throw new UnknownEnvironmentError(name);
}

export async function listEnvironments(db: Db): Promise<Environment[]> {
  return db.select().from(environments).orderBy(asc(environments.name));
}

/** Deletes an environment; false when there was none. Refused while runs, schedules or probes use it. */
export async function deleteEnvironment(db: Db, name: string): Promise<boolean> {
  try {
    const deleted = await db
      .delete(environments)
      .where(eq(environments.name, name))
      .returning({ name: environments.name });
    return deleted.length > 0;
  } catch (error) {
    if (sqlState(error) === FOREIGN_KEY_VIOLATION) {
      throw new ConflictError(
        `environment "${name}" is used by runs, schedules or capacity probes; it cannot be deleted`,
        { cause: error },
      );
    }
    throw error;
  }
}
