import { and, asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from './db.js';
import { NotFoundError, validate } from './errors.js';
import { newId } from './ids.js';
import { JsonObject, Name } from './inputs.js';
import { corpora, corpusVersions } from './schema.js';

/**
 * A replay corpus as metadata keeps it. The store treats meta, mix and requests as opaque
 * JSON; control validates the corpus (the replay package's schema) before it gets here.
 */
export const SaveCorpusInput = z.strictObject({
  name: Name,
  meta: JsonObject,
  mix: JsonObject,
  /** the requests as one JSON array (text) */
  requests: z.string().min(2),
  requestCount: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
  createdBy: z.string().max(200).nullish(),
});
export type SaveCorpusInput = z.input<typeof SaveCorpusInput>;

/** One stored version without its requests: what lists and detail pages show. */
export interface CorpusInfo {
  name: string;
  version: number;
  requestCount: number;
  durationMs: number;
  meta: JsonObject;
  mix: JsonObject;
  createdAt: Date;
  createdBy: string | null;
}

export interface CorpusSummary extends CorpusInfo {
  latestVersion: number;
}

export class UnknownCorpusError extends NotFoundError {
  readonly version: number | undefined;
  constructor(name: string, version?: number) {
    super('corpus', name, version === undefined ? undefined : `no version ${version}`);
    this.version = version;
  }
}

const info = {
  version: corpusVersions.version,
  requestCount: corpusVersions.requestCount,
  durationMs: corpusVersions.durationMs,
  meta: corpusVersions.meta,
  mix: corpusVersions.mix,
  createdAt: corpusVersions.createdAt,
  createdBy: corpusVersions.createdBy,
};

/**
 * Stores a new version of corpus `name` (version 1 when new). As with scenarios, the next
 * number comes from one atomic upsert that holds the corpus row's lock until commit.
 */
export async function saveCorpusVersion(db: Db, input: SaveCorpusInput): Promise<CorpusInfo> {
  const { name, createdBy, ...body } = validate('corpus', SaveCorpusInput, input);
  return db.transaction(async (tx) => {
    const [corpus] = await tx
      .insert(corpora)
      .values({ id: newId('cor'), name, latestVersion: 1 })
      .onConflictDoUpdate({
        target: corpora.name,
        set: { latestVersion: sql`${corpora.latestVersion} + 1`, updatedAt: sql`now()` },
      })
      .returning({ id: corpora.id, version: corpora.latestVersion });
    const [row] = await tx
      .insert(corpusVersions)
      .values({
        corpusId: corpus!.id,
        version: corpus!.version,
        ...body,
        createdBy: createdBy ?? null,
      })
      .returning(info);
    return { ...row!, name };
  });
}

/** Every corpus with its latest version's figures, by name. */
export async function listCorpora(db: Db): Promise<CorpusSummary[]> {
  const rows = await db
    .select({ name: corpora.name, latestVersion: corpora.latestVersion, ...info })
    .from(corpora)
    .innerJoin(
      corpusVersions,
      and(
        eq(corpusVersions.corpusId, corpora.id),
        eq(corpusVersions.version, corpora.latestVersion),
      ),
    )
    .orderBy(asc(corpora.name));
  return rows;
}

/** Version `version` of corpus `name` (the latest when omitted); requests only when asked. */
export async function getCorpus(
  db: Db,
  name: string,
  options: { version?: number; requests?: boolean } = {},
): Promise<CorpusInfo & { latestVersion: number; requests?: string }> {
  const { version } = options;
  if (version !== undefined) validate('version', z.number().int().positive(), version);
  const [row] = await db
    .select({
      name: corpora.name,
      latestVersion: corpora.latestVersion,
      ...info,
      ...(options.requests ? { requests: corpusVersions.requests } : {}),
    })
    .from(corpora)
    .innerJoin(
      corpusVersions,
      and(
        eq(corpusVersions.corpusId, corpora.id),
        eq(corpusVersions.version, version ?? corpora.latestVersion),
      ),
    )
    .where(eq(corpora.name, name));
  if (!row) throw new UnknownCorpusError(name, version);
  return row as CorpusInfo & { latestVersion: number; requests?: string };
}
