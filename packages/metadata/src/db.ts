/**
 * One Drizzle database over either engine: embedded PGlite (a data directory, or memory) or
 * a Postgres server through a node-postgres pool. Both drivers are imported lazily, so a
 * server deployment never loads the PGlite WASM and embedded mode never opens sockets.
 */
import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { MetadataError } from './errors.js';

export type Db = PgDatabase<PgQueryResultHKT>;

/** Plain SQL inside one transaction, below Drizzle: what migrations need. */
export interface RawTx {
  /** Runs a script of one or more statements without parameters. */
  exec(script: string): Promise<void>;
  query<Row>(text: string, params?: unknown[]): Promise<Row[]>;
}

export interface Connection {
  kind: 'pglite' | 'postgres';
  db: Db;
  rawTransaction<T>(fn: (tx: RawTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** `postgres://…` or `postgresql://…`: a Postgres server (DATABASE_URL). */
  url?: string;
  /** PGlite data directory (e.g. `.loadline/pg`); in memory when neither this nor url is set. */
  dataDir?: string;
  /** Pool size for a Postgres server (default 10). */
  poolSize?: number;
  /** Receives errors of idle pooled connections (a restarted server); ignored by default. */
  onPoolError?: (error: Error) => void;
}

/** The database cannot be reached or opened. */
export class DatabaseUnavailableError extends MetadataError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('unavailable', message, options);
  }
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND']);

/**
 * Whether `error` says the database could not be reached or went away mid-query (SQLSTATE
 * class 08, an admin shutdown 57P01–57P03, a socket error, a closed pool or PGlite), as
 * opposed to a problem with the query itself.
 */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (/^08/.test(code) || /^57P0[123]$/.test(code))) return true;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
    if (
      typeof message === 'string' &&
      /Connection terminated|Cannot use a pool after calling end|PGlite is closed/i.test(message)
    )
      return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** A connection string without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

async function openPostgres(url: string, options: OpenOptions): Promise<Connection> {
  const { default: pg } = await import('pg');
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
  pool.on('error', (error) => options.onPoolError?.(error));
  try {
    await pool.query('select 1');
  } catch (error) {
    await pool.end().catch(() => {});
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatabaseUnavailableError(`cannot reach Postgres at ${redactUrl(url)}: ${reason}`, {
      cause: error,
    });
  }
  return {
    kind: 'postgres',
    db: drizzle(pool),
    async rawTransaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await fn({
          exec: async (script) => {
            await client.query(script);
          },
          query: async <Row>(text: string, params?: unknown[]) =>
            (await client.query(text, params)).rows as Row[],
        });
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

async function openPglite(dataDir: string | undefined): Promise<Connection> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const inMemory = dataDir === undefined || dataDir.startsWith('memory://');
  let client: InstanceType<typeof PGlite>;
  try {
    if (!inMemory) {
      await mkdir(dataDir, { recursive: true, mode: 0o700 });
      await chmod(dataDir, 0o700);
    }
    client = await PGlite.create(inMemory ? undefined : dataDir);
    // PGlite copies its initial database in with mode 0666, whatever the umask.
    if (!inMemory) await keepPrivate(dataDir);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatabaseUnavailableError(
      `cannot open embedded Postgres (PGlite) in ${dataDir ?? 'memory'}: ${reason}`,
      { cause: error },
    );
  }
  return {
    kind: 'pglite',
    db: drizzle(client),
    rawTransaction: (fn) =>
      client.transaction((tx) =>
        fn({
          exec: async (script) => {
            await tx.exec(script);
          },
          query: async <Row>(text: string, params?: unknown[]) =>
            (await tx.query<Row>(text, params)).rows,
        }),
      ),
    close: async () => {
      await client.close();
      if (!inMemory) await keepPrivate(dataDir);
    },
  };
}

/**
 * Takes group and other permissions off everything under `dir` (the directory itself is
 * 0700 already, so between two calls nothing is reachable by another user either). The
 * data holds secrets: environment keys, and the WAL keeps rows in the clear.
 */
async function keepPrivate(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isSymbolicLink()) continue;
    const path = join(dir, entry.name);
    const { mode } = await lstat(path);
    if (mode & 0o077) await chmod(path, mode & 0o700);
    if (entry.isDirectory()) await keepPrivate(path);
  }
}

/** Opens a connection; `url` wins over `dataDir`. Does not migrate. */
export async function connect(options: OpenOptions = {}): Promise<Connection> {
  if (options.url !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(options.url)) {
      throw new DatabaseUnavailableError(
        `database URL must start with postgres:// or postgresql://, got ${redactUrl(options.url)}`,
      );
    }
    return openPostgres(options.url, options);
  }
  return openPglite(options.dataDir);
}
