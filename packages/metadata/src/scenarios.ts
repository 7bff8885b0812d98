import { and, asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from './db.js';
import { UnknownScenarioError, validate } from './errors.js';
import { newId } from './ids.js';
import { JsonObject, Name } from './inputs.js';
import { scenarios, scenarioVersions } from './schema.js';

export type Scenario = typeof scenarios.$inferSelect;

export interface ScenarioVersion {
  scenarioId: string;
  name: string;
  version: number;
  /** The YAML (or JSON) exactly as the author wrote it. */
  source: string;
  /** The validated scenario, as parsed from `source`. */
  parsed: JsonObject;
  createdAt: Date;
  createdBy: string | null;
}

export type ScenarioVersionInfo = Pick<ScenarioVersion, 'version' | 'createdAt' | 'createdBy'>;

export const SaveScenarioInput = z.strictObject({
  name: Name,
  source: z.string().min(1, 'the scenario source is empty').max(1_000_000, 'at most 1 MB'),
  parsed: JsonObject,
  createdBy: z.string().max(200).nullish(),
});
export type SaveScenarioInput = z.input<typeof SaveScenarioInput>;

/**
 * Stores a new version of scenario `name` (creating the scenario at version 1) and returns
 * it. Versions are never overwritten. The next number comes from one atomic upsert on the
 * scenario row, which holds that row's lock until commit, so concurrent saves of one
 * scenario get consecutive versions and never collide.
 */
export async function saveScenarioVersion(
  db: Db,
  input: SaveScenarioInput,
): Promise<ScenarioVersion> {
  const { name, source, parsed, createdBy } = validate('scenario', SaveScenarioInput, input);
  return db.transaction(async (tx) => {
    const [scenario] = await tx
      .insert(scenarios)
      .values({ id: newId('scn'), name, latestVersion: 1 })
      .onConflictDoUpdate({
        target: scenarios.name,
        set: { latestVersion: sql`${scenarios.latestVersion} + 1`, updatedAt: sql`now()` },
      })
      .returning({ id: scenarios.id, version: scenarios.latestVersion });
    const [row] = await tx
      .insert(scenarioVersions)
      .values({
        scenarioId: scenario!.id,
        version: scenario!.version,
        source,
        parsed,
        createdBy: createdBy ?? null,
      })
      .returning();
    return { ...row!, name };
  });
}

/** The scenario row for `name`, or UnknownScenarioError. */
export async function requireScenario(db: Db, name: string): Promise<Scenario> {
  const [row] = await db.select().from(scenarios).where(eq(scenarios.name, name));
  if (!row) throw new UnknownScenarioError(name);
  return row;
}

/** Scenario `name`'s id and `version` (the latest when omitted), checked to exist. */
export async function resolveScenarioVersion(
  db: Db,
  name: string,
  version?: number,
): Promise<{ scenarioId: string; version: number }> {
  const scenario = await requireScenario(db, name);
  const wanted = version ?? scenario.latestVersion;
  const [found] = await db
    .select({ version: scenarioVersions.version })
    .from(scenarioVersions)
    .where(and(eq(scenarioVersions.scenarioId, scenario.id), eq(scenarioVersions.version, wanted)));
  if (!found) throw new UnknownScenarioError(name, wanted);
  return { scenarioId: scenario.id, version: wanted };
}

/** Version `version` of scenario `name`, the latest when omitted. */
export async function getScenario(
  db: Db,
  name: string,
  version?: number,
): Promise<ScenarioVersion> {
  if (version !== undefined) validate('version', z.number().int().positive(), version);
  const [row] = await db
    .select({ version: scenarioVersions, name: scenarios.name })
    .from(scenarios)
    .innerJoin(
      scenarioVersions,
      and(
        eq(scenarioVersions.scenarioId, scenarios.id),
        eq(scenarioVersions.version, version ?? scenarios.latestVersion),
      ),
    )
    .where(eq(scenarios.name, name));
  if (!row) throw new UnknownScenarioError(name, version);
  return { ...row.version, name: row.name };
}

export async function listScenarios(db: Db): Promise<Scenario[]> {
  return db.select().from(scenarios).orderBy(asc(scenarios.name));
}

/** Every version of scenario `name`, oldest first, without sources. */
export async function listVersions(db: Db, name: string): Promise<ScenarioVersionInfo[]> {
  const scenario = await requireScenario(db, name);
  return db
    .select({
      version: scenarioVersions.version,
      createdAt: scenarioVersions.createdAt,
      createdBy: scenarioVersions.createdBy,
    })
    .from(scenarioVersions)
    .where(eq(scenarioVersions.scenarioId, scenario.id))
    .orderBy(asc(scenarioVersions.version));
}
