import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  type ClusterOptions,
  clusterDatabaseStatement,
  clusterLedgerStatement,
  translateMigration,
} from './cluster-schema.js';
import type { ClickHouseDriver } from './driver.js';
import { CREATE_LEDGER, LEDGER_TABLE, type Migration } from './ledger.js';

export type { Migration } from './ledger.js';

/** The numbered SQL files, found the same way from `src/` (tsx) and `dist/` (built). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/clickhouse/', import.meta.url));

export interface MigrationReport {
  applied: string[];
  alreadyApplied: string[];
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

const FILE_NAME = /^(\d{3,})_[a-z0-9_]+\.sql$/;

/**
 * Splits a migration file into statements: `--` comments are dropped and a statement ends
 * with a `;` at the end of a line (no statement of ours has one inside a string).
 */
export function splitStatements(sql: string): string[] {
  const lines = sql.split('\n').map((line) => line.replace(/--.*$/, '').trimEnd());
  const statements: string[] = [];
  let current: string[] = [];
  for (const line of lines) {
    current.push(line);
    if (line.endsWith(';')) {
      statements.push(current.join('\n').slice(0, -1).trim());
      current = [];
    }
  }
  const rest = current.join('\n').trim();
  if (rest) statements.push(rest);
  return statements.filter((s) => s.length > 0);
}

/** Reads `NNN_name.sql` files in version order; a duplicate version is an error. */
export async function loadMigrations(dir: string = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_NAME.exec(file);
    if (!match) throw new MigrationError(`migration file name must be NNN_name.sql: ${file}`);
    const version = Number(match[1]);
    if (migrations.some((m) => m.version === version)) {
      throw new MigrationError(`two migrations with version ${version} in ${dir}`);
    }
    const sql = await readFile(join(dir, file), 'utf8');
    const checksum = createHash('sha256').update(sql).digest('hex');
    migrations.push({ version, name: file, statements: splitStatements(sql), checksum });
  }
  return migrations;
}

const AppliedRow = z.object({
  version: z.coerce.number(),
  name: z.string(),
  checksum: z.string(),
});

/**
 * Applies, in version order, every migration not yet recorded in `schema_migrations`,
 * recording each after all its statements succeed. Re-running is a no-op. A recorded
 * migration whose file changed since is refused: fix forward with a new file.
 * Statements are idempotent (IF NOT EXISTS), so two processes migrating at once, or a
 * migration interrupted half-way, converge when re-run.
 */
export async function migrate(
  driver: ClickHouseDriver,
  dir: string = MIGRATIONS_DIR,
  cluster?: ClusterOptions,
): Promise<MigrationReport> {
  const migrations = await loadMigrations(dir);
  if (cluster) {
    // ON CLUSTER DDL waits for every node (distributed_ddl_task_timeout, 180 s by default)
    // and fails when one is down: only when the ledger is missing, so that a control with
    // nothing to migrate starts while a node is away.
    const [ledger] = await driver.query<{ result: number | string }>(
      `EXISTS TABLE ${LEDGER_TABLE}`,
    );
    if (Number(ledger?.result) !== 1) {
      await driver.exec(clusterDatabaseStatement(cluster));
      await driver.exec(clusterLedgerStatement(cluster));
    }
  } else await driver.exec(CREATE_LEDGER);
  const rows = await driver.query(
    'SELECT version, any(name) AS name, any(checksum) AS checksum FROM schema_migrations GROUP BY version',
  );
  const applied = new Map(rows.map((r) => AppliedRow.parse(r)).map((r) => [r.version, r]));
  const report: MigrationReport = { applied: [], alreadyApplied: [] };
  for (const migration of migrations) {
    const done = applied.get(migration.version);
    if (done) {
      if (done.checksum !== migration.checksum) {
        throw new MigrationError(
          `migration ${migration.name} was changed after it was applied (recorded as ${done.name}); add a new migration instead`,
        );
      }
      report.alreadyApplied.push(migration.name);
      continue;
    }
    // Cluster mode applies each migration translated (local + Distributed tables, ON
    // CLUSTER), by ClickHouse's parser on the node it talks to; the ledger keeps the file's
    // checksum, so a cluster records the same history as a single node.
    const statements = cluster
      ? await translateMigration(driver, migration, cluster)
      : migration.statements;
    for (const statement of statements) {
      try {
        await driver.exec(statement);
      } catch (err) {
        throw new MigrationError(`migration ${migration.name} failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    await driver.insertJSONEachRow('schema_migrations', [
      { version: migration.version, name: migration.name, checksum: migration.checksum },
    ]);
    report.applied.push(migration.name);
  }
  return report;
}
