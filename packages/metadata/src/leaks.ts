import { LeakInput } from '@loadline/api/http';
import { asc, eq } from 'drizzle-orm';
import type { Db } from './db.js';
import { UnknownRunError, validate } from './errors.js';
import { newId } from './ids.js';
import { runLeaks, runs } from './schema.js';

export { LeakInput };

export type Leak = typeof runLeaks.$inferSelect;

export async function recordLeak(db: Db, runId: string, input: LeakInput): Promise<Leak> {
  const leak = validate('leak', LeakInput, input);
  const [run] = await db.select({ id: runs.id }).from(runs).where(eq(runs.id, runId));
  if (!run) throw new UnknownRunError(runId);
  const [row] = (await db
    .insert(runLeaks)
    .values({ id: newId('leak'), runId, ...leak })
    .returning()) as [Leak];
  return row;
}

export async function listLeaks(db: Db, runId: string): Promise<Leak[]> {
  return db.select().from(runLeaks).where(eq(runLeaks.runId, runId)).orderBy(asc(runLeaks.at));
}
