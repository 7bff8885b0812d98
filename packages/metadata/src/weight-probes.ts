import type { WeightDriver, WeightProbeLevel, WeightProbeStatus } from '@loadline/api/http';
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Db } from './db.js';
import { NotFoundError } from './errors.js';
import { newId } from './ids.js';
import type { JsonObject } from './schema.js';
import { weightProbes } from './schema.js';

export type WeightProbeRow = typeof weightProbes.$inferSelect;

export interface NewWeightProbe {
  environment: string;
  service: string;
  instance: number;
  instanceUrl: string;
  input: JsonObject;
  driver: WeightDriver;
  originalWeights: number[];
  createdBy: string;
}

/**
 * Records a probe as running with the weights it found, before any is changed: from here
 * on whatever ends the probe, or the control running it, the next one can put them back.
 */
export async function createWeightProbe(db: Db, probe: NewWeightProbe): Promise<WeightProbeRow> {
  const [row] = await db
    .insert(weightProbes)
    .values({ id: newId('probe'), status: 'running', ...probe })
    .returning();
  return row!;
}

export async function getWeightProbe(db: Db, id: string): Promise<WeightProbeRow> {
  const [row] = await db.select().from(weightProbes).where(eq(weightProbes.id, id));
  if (!row) throw new NotFoundError('probe', id);
  return row;
}

export async function recordWeightProbeLevels(
  db: Db,
  id: string,
  levels: WeightProbeLevel[],
): Promise<void> {
  await db.update(weightProbes).set({ levels }).where(eq(weightProbes.id, id));
}

/** Ends a running probe (a no-op on one already ended: the first ending wins). */
export async function endWeightProbe(
  db: Db,
  id: string,
  end: {
    status: Exclude<WeightProbeStatus, 'running'>;
    reason: string;
    levels?: WeightProbeLevel[];
    redline?: JsonObject | null;
  },
): Promise<void> {
  await db
    .update(weightProbes)
    .set({ ...end, endedAt: new Date() })
    .where(and(eq(weightProbes.id, id), eq(weightProbes.status, 'running')));
}

export async function markWeightsRestored(db: Db, id: string): Promise<void> {
  await db
    .update(weightProbes)
    .set({ restoredAt: new Date() })
    .where(and(eq(weightProbes.id, id), isNull(weightProbes.restoredAt)));
}

/** Probes whose original weights have not been put back, oldest first. */
export async function unrestoredWeightProbes(db: Db): Promise<WeightProbeRow[]> {
  return db
    .select()
    .from(weightProbes)
    .where(isNull(weightProbes.restoredAt))
    .orderBy(asc(weightProbes.createdAt));
}
