/**
 * Numbered SQL migrations (`migrations/001_init.sql`, …), applied in order, each in its own
 * transaction, each recorded in `schema_migrations` with a checksum. Every transaction first
 * takes a transaction-scoped advisory lock, so two processes migrating one database at once
 * queue up and the second finds the work done.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { RawTx } from './db.js';
import { MigrationError } from './errors.js';

/** `src/` and `dist/` both sit next to `migrations/`. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

/** Arbitrary constant naming "Loadline metadata migrations" among advisory locks. */
const LOCK_KEY = 7_406_170_311;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

const FILE = /^(\d{3,})_([a-z0-9_]+)\.sql$/;

export async function loadMigrations(dir: string = MIGRATIONS_DIR): Promise<Migration[]> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (error) {
    throw new MigrationError(`cannot read migrations from ${dir}`, { cause: error });
  }
  const migrations: Migration[] = [];
  for (const file of files.filter((f) => f.endsWith('.sql')).sort()) {
    const match = FILE.exec(file);
    if (!match) throw new MigrationError(`${file}: migration files are named 001_what.sql`);
    const sql = await readFile(`${dir}/${file}`, 'utf8');
    const checksum = createHash('sha256').update(sql).digest('hex');
    migrations.push({ version: Number(match[1]), name: file, sql, checksum });
  }
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new MigrationError(
        `${m.name}: expected migration number ${i + 1} (no gaps, no repeats)`,
      );
    }
  });
  return migrations;
}

const CREATE_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz(3) NOT NULL DEFAULT now()
  )`;

interface Recorded {
  version: number;
  name: string;
  checksum: string;
}

/** Applies one migration unless already recorded; returns whether it ran. */
async function applyOne(tx: RawTx, migration: Migration): Promise<boolean> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
  await tx.exec(CREATE_TABLE);
  const [recorded] = await tx.query<Recorded>(
    'SELECT version, name, checksum FROM schema_migrations WHERE version = $1',
    [migration.version],
  );
  if (recorded) {
    if (recorded.checksum !== migration.checksum) {
      throw new MigrationError(
        `${migration.name} was changed after it was applied (as ${recorded.name}); add a new migration instead of editing an applied one`,
      );
    }
    return false;
  }
  try {
    await tx.exec(migration.sql);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(`${migration.name} failed: ${reason}`, { cause: error });
  }
  await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
    migration.version,
    migration.name,
    migration.checksum,
  ]);
  return true;
}

/** Applies the pending migrations in order; returns the names of the ones it applied. */
export async function migrate(
  rawTransaction: <T>(fn: (tx: RawTx) => Promise<T>) => Promise<T>,
  migrations: readonly Migration[],
): Promise<string[]> {
  const applied: string[] = [];
  for (const migration of migrations) {
    if (await rawTransaction((tx) => applyOne(tx, migration))) applied.push(migration.name);
  }
  return applied;
}
