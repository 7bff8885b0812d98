import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ClickHouseDriver, QueryParams } from './driver.js';
import {
  loadMigrations,
  MIGRATIONS_DIR,
  MigrationError,
  migrate,
  splitStatements,
} from './migrations.js';

/** Records statements; keeps schema_migrations rows in memory. */
class FakeDriver implements ClickHouseDriver {
  readonly mode = 'embedded';
  readonly executed: string[] = [];
  readonly ledger: Record<string, unknown>[] = [];
  failOn: RegExp | undefined;

  async exec(sql: string, _params?: QueryParams): Promise<void> {
    if (this.failOn?.test(sql)) throw new Error('boom');
    this.executed.push(sql);
  }
  async insertJSONEachRow(table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
    assert.equal(table, 'schema_migrations');
    this.ledger.push(...rows);
  }
  async query<T>(sql: string): Promise<T[]> {
    assert.match(sql, /FROM schema_migrations/);
    return this.ledger as T[];
  }
  async close(): Promise<void> {}
}

describe('splitStatements', () => {
  test('drops comments, splits on ; at line ends, keeps statements whole', () => {
    const sql = `-- a comment; not a statement
CREATE TABLE a
(
    x UInt8 -- trailing comment
);

CREATE TABLE b (y UInt8);
SELECT 1`;
    assert.deepEqual(splitStatements(sql), [
      'CREATE TABLE a\n(\n    x UInt8\n)',
      'CREATE TABLE b (y UInt8)',
      'SELECT 1',
    ]);
  });
});

describe('loadMigrations', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'loadline-migrations-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test("the package's migrations, in order: tables with TTLs, then columns", async () => {
    const migrations = await loadMigrations(MIGRATIONS_DIR);
    assert.deepEqual(
      migrations.map((m) => [m.version, m.name, m.statements.length]),
      [
        [1, '001_intervals.sql', 1],
        [2, '002_interval_minutes.sql', 1],
        [3, '003_interval_ingests.sql', 1],
        [4, '004_checks.sql', 2],
        [5, '005_target_metrics.sql', 1],
        [6, '006_target_concurrency.sql', 1],
        [7, '007_target_gauges.sql', 1],
      ],
    );
    for (const m of migrations) assert.match(m.checksum, /^[0-9a-f]{64}$/);
    for (const m of [...migrations.slice(0, 3), migrations[4]!]) {
      assert.match(m.statements[0]!, /^CREATE TABLE IF NOT EXISTS/);
      assert.match(m.statements[0]!, /TTL \w+ \+ INTERVAL 90 DAY$/);
    }
    // checks next to checks_failed, with its type, in both tables that hold counters
    assert.deepEqual(migrations[3]!.statements, [
      'ALTER TABLE intervals\n    ADD COLUMN IF NOT EXISTS checks UInt32 DEFAULT 0 AFTER errors',
      'ALTER TABLE interval_minutes\n    ADD COLUMN IF NOT EXISTS checks UInt64 DEFAULT 0 AFTER errors',
    ]);
    const checksFailedType = (m: (typeof migrations)[number]) =>
      /checks_failed\s+(\w+)/.exec(m.statements[0]!)?.[1];
    assert.deepEqual(migrations.slice(0, 3).map(checksFailedType), ['UInt32', 'UInt64', undefined]);
  });

  test('refuses badly named files and duplicate versions', async () => {
    await writeFile(join(dir, '001_a.sql'), 'SELECT 1;');
    await writeFile(join(dir, '1_b.sql'), 'SELECT 1;');
    await assert.rejects(loadMigrations(dir), /must be NNN_name\.sql: 1_b\.sql/);
    await rm(join(dir, '1_b.sql'));
    await writeFile(join(dir, '001_c.sql'), 'SELECT 1;');
    await assert.rejects(loadMigrations(dir), /two migrations with version 1/);
  });
});

describe('migrate', () => {
  test('applies each migration once, in order, and records it', async () => {
    const driver = new FakeDriver();
    const first = await migrate(driver);
    assert.deepEqual(first, {
      applied: [
        '001_intervals.sql',
        '002_interval_minutes.sql',
        '003_interval_ingests.sql',
        '004_checks.sql',
        '005_target_metrics.sql',
        '006_target_concurrency.sql',
        '007_target_gauges.sql',
      ],
      alreadyApplied: [],
    });
    assert.deepEqual(
      driver.ledger.map((r) => r.version),
      [1, 2, 3, 4, 5, 6, 7],
    );
    const statements = driver.executed.length;
    const second = await migrate(driver);
    assert.deepEqual(second.applied, []);
    assert.equal(second.alreadyApplied.length, 7);
    // only the ledger's own CREATE IF NOT EXISTS ran again
    assert.equal(driver.executed.length, statements + 1);
  });

  test('refuses a migration that changed after it was applied', async () => {
    const driver = new FakeDriver();
    await migrate(driver);
    driver.ledger[0] = { ...driver.ledger[0], checksum: 'edited' };
    await assert.rejects(migrate(driver), /001_intervals\.sql was changed after it was applied/);
  });

  test('a failing statement names its migration and records nothing for it', async () => {
    const driver = new FakeDriver();
    driver.failOn = /interval_minutes/;
    await assert.rejects(migrate(driver), (err: unknown) => {
      assert.ok(err instanceof MigrationError);
      assert.match(err.message, /^migration 002_interval_minutes\.sql failed: boom/);
      return true;
    });
    assert.deepEqual(
      driver.ledger.map((r) => r.version),
      [1],
    );
  });
});
