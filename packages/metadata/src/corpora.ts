import { promisify } from 'node:util';
import { gunzip as gunzipCallback, gzip as gzipCallback } from 'node:zlib';
import { and, asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from './db.js';
import { InvalidInputError, NotFoundError, validate } from './errors.js';
import { newId } from './ids.js';
import { JsonObject, Name } from './inputs.js';
import { corpora, corpusRequestChunks, corpusVersions } from './schema.js';

// zlib's callback forms run on libuv's pool, off control's thread.
const gzip = promisify(gzipCallback);
const gunzip = promisify(gunzipCallback);

/**
 * Requests per stored chunk, and the most text one holds: each is compressed, written and
 * read back by itself, so no statement on a big corpus holds the embedded database's
 * thread (control's own) for long.
 */
const CHUNK_REQUESTS = 2000;
const CHUNK_CHARS = 1 << 20;

/**
 * A turn of the event loop for timers and sockets: embedded PGlite answers within
 * microtasks, so a loop of awaited statements alone would never let a request in.
 */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * A replay corpus as metadata keeps it. The store treats meta, mix and requests as opaque
 * JSON; control validates the corpus (the replay package's schema) before it gets here.
 */
export const SaveCorpusInput = z.strictObject({
  name: Name,
  meta: JsonObject,
  mix: JsonObject,
  /** each request's JSON text, in order */
  requests: z.array(z.string()).readonly(),
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
  const { name, createdBy, requests, ...body } = validate('corpus', SaveCorpusInput, input);
  if (requests.length !== body.requestCount) {
    throw new InvalidInputError('corpus', [
      {
        path: 'requestCount',
        message: `says ${body.requestCount} but ${requests.length} requests came`,
      },
    ]);
  }
  // One chunk at a time: each join is a megabyte, and compressing it gives the loop a turn.
  const chunks: Array<{ chunk: number; requestCount: number; requestsGz: Uint8Array }> = [];
  for (const [chunk, texts] of chunksOf(requests).entries()) {
    const requestsGz = new Uint8Array(await gzip(texts.join(',')));
    chunks.push({ chunk, requestCount: texts.length, requestsGz });
  }
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
        requests: null,
        createdBy: createdBy ?? null,
      })
      .returning(info);
    for (const chunk of chunks) {
      await tx
        .insert(corpusRequestChunks)
        .values({ corpusId: corpus!.id, version: corpus!.version, ...chunk });
      await nextTurn();
    }
    return { ...row!, name };
  });
}

/** Consecutive runs of requests, each at most CHUNK_REQUESTS long and about CHUNK_CHARS. */
function chunksOf(requests: readonly string[]): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let chars = 0;
  for (const text of requests) {
    if (
      current.length === CHUNK_REQUESTS ||
      (current.length > 0 && chars + text.length > CHUNK_CHARS)
    ) {
      chunks.push(current);
      current = [];
      chars = 0;
    }
    current.push(text);
    chars += text.length + 1;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** A version's requests as one JSON array: its chunks, each read and inflated by itself. */
async function requestsOf(db: Db, corpusId: string, version: number): Promise<string> {
  const parts: string[] = [];
  const where = and(
    eq(corpusRequestChunks.corpusId, corpusId),
    eq(corpusRequestChunks.version, version),
  );
  const [count] = await db
    .select({ chunks: sql<number>`count(*)::int` })
    .from(corpusRequestChunks)
    .where(where);
  for (let chunk = 0; chunk < (count?.chunks ?? 0); chunk++) {
    const [row] = await db
      .select({ gz: corpusRequestChunks.requestsGz })
      .from(corpusRequestChunks)
      .where(and(where, eq(corpusRequestChunks.chunk, chunk)));
    parts.push((await gunzip(row!.gz)).toString('utf8'));
    await nextTurn();
  }
  return `[${parts.join(',')}]`;
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
      id: corpora.id,
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
  const { id, ...found } = row;
  if (options.requests && found.requests === null) {
    found.requests = await requestsOf(db, id, found.version);
  }
  return found as CorpusInfo & { latestVersion: number; requests?: string };
}
