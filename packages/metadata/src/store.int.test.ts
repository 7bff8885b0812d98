import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RunStatus } from '@loadline/api';
import { is, sql } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import {
  ConflictError,
  InvalidInputError,
  type MetadataStore,
  MigrationError,
  tables,
  UnknownEnvironmentError,
  UnknownScenarioError,
  UnknownScheduleError,
} from './index.js';
import { MIGRATIONS_DIR } from './migrate.js';
import { backends, type TestDatabase, unique } from './test-backends.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rows<T>(store: MetadataStore, query: ReturnType<typeof sql>): Promise<T[]> {
  return ((await store.db.execute(query)) as unknown as { rows: T[] }).rows;
}

for (const backend of await backends()) {
  describe(`metadata store on ${backend.name}`, { skip: backend.skip }, () => {
    let db: TestDatabase;
    let store: MetadataStore;
    let migrationsCopy: string;

    // Unmigrated: the first test migrates it (and checks that); later groups migrate again
    // in their own `before`, which is a no-op then but lets them run alone.
    before(async () => {
      db = await backend.create({ migrate: false });
      store = db.store;
      migrationsCopy = await mkdtemp(join(tmpdir(), 'loadline-migrations-'));
    });
    after(async () => {
      await db?.drop();
      if (migrationsCopy) await rm(migrationsCopy, { recursive: true, force: true });
    });

    describe('migrations', () => {
      it('apply once, in order, recorded with checksums, even when two migrate at once', async () => {
        const other = (await db.openAnother()) ?? store;
        const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
        const results = await Promise.all([store.migrate(), other.migrate()]);
        assert.deepEqual(results.flat().sort(), files, 'exactly one of them applied each');
        assert.deepEqual(await store.migrate(), []);
        const recorded = await rows<{ version: number; name: string; checksum: string }>(
          store,
          sql`select version, name, checksum from schema_migrations order by version`,
        );
        assert.equal(recorded.length, files.length);
        assert.deepEqual(
          recorded.map((r) => r.version),
          files.map((_, i) => i + 1),
        );
        assert.equal(recorded[0]!.version, 1);
        assert.equal(recorded[0]!.name, '001_init.sql');
        assert.match(recorded[0]!.checksum, /^[0-9a-f]{64}$/);
      });

      it('roll a failing migration back entirely and refuse edited ones', async () => {
        await store.migrate();
        await cp(MIGRATIONS_DIR, migrationsCopy, { recursive: true });
        const count = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).length;
        const number = (n: number) => String(n).padStart(3, '0');
        const brokenName = `${number(count + 1)}_broken.sql`;
        const broken = 'CREATE TABLE half_written (id int);\nSELECT 1 / 0;\n';
        await writeFile(join(migrationsCopy, brokenName), broken);
        await assert.rejects(
          store.migrate({ dir: migrationsCopy }),
          (e: unknown) => e instanceof MigrationError && e.message.includes(`${brokenName} failed`),
        );
        const [table] = await rows<{ t: string | null }>(
          store,
          sql`select to_regclass('half_written')::text as t`,
        );
        assert.equal(table!.t, null, 'nothing of the failed migration remains');
        const versions = await rows<{ version: number }>(
          store,
          sql`select version from schema_migrations`,
        );
        assert.deepEqual(
          versions.map((v) => v.version),
          Array.from({ length: count }, (_, i) => i + 1),
        );

        await writeFile(join(migrationsCopy, '001_init.sql'), '-- edited\n');
        await assert.rejects(store.migrate({ dir: migrationsCopy }), /was changed after it/);
        await writeFile(join(migrationsCopy, `${number(count + 2)}_gap.sql`), 'SELECT 1;');
        await rm(join(migrationsCopy, brokenName));
        await writeFile(
          join(migrationsCopy, '001_init.sql'),
          await readFile(join(MIGRATIONS_DIR, '001_init.sql'), 'utf8'),
        );
        await assert.rejects(
          store.migrate({ dir: migrationsCopy }),
          new RegExp(`expected migration number ${count + 1}`),
        );
      });

      it('allow exactly the RunStatus values as run statuses', async () => {
        await store.migrate();
        const checks = await rows<{ def: string }>(
          store,
          sql`select pg_get_constraintdef(oid) as def from pg_constraint
              where conrelid = 'runs'::regclass and contype = 'c'`,
        );
        const statusCheck = checks.map((c) => c.def).find((d) => d.includes('status'));
        const allowed = [...(statusCheck ?? '').matchAll(/'([a-z-]+)'/g)].map((m) => m[1]);
        assert.deepEqual(allowed.sort(), [...RunStatus.options].sort());
      });

      it('create exactly the columns the Drizzle schema describes', async () => {
        await store.migrate();
        const described: PgTable[] = Object.values(tables).filter((t) => is(t, PgTable));
        const created = await rows<{ name: string }>(
          store,
          sql`select tablename as name from pg_tables where schemaname = current_schema()`,
        );
        assert.deepEqual(
          described.map((t) => getTableConfig(t).name).sort(),
          created.map((t) => t.name).sort(),
          'every table the migrations create is described, and only those',
        );
        for (const table of described) {
          const config = getTableConfig(table);
          const actual = await rows<{ name: string; type: string; notnull: boolean }>(
            store,
            sql`select attname as name, format_type(atttypid, atttypmod) as type,
                       attnotnull as notnull
                from pg_attribute
                where attrelid = ${config.name}::regclass and attnum > 0 and not attisdropped
                order by attname`,
          );
          const expected = config.columns
            .map((c) => ({
              name: c.name,
              type: c.getSQLType().replace(' (', '('),
              notnull: c.notNull,
            }))
            .sort((a, b) => a.name.localeCompare(b.name));
          assert.deepEqual(actual, expected, config.name);
        }
      });
    });

    describe('environments', () => {
      before(() => store.migrate());

      it('upsert, get, list and delete', async () => {
        const name = unique('staging');
        const created = await store.upsertEnvironment({
          name,
          baseUrls: { gateway: 'https://gw.shop.internal' },
          allowedHosts: ['*.shop.internal', '10.0.0.0/8', '*.shop.internal'],
        });
        assert.deepEqual(created.allowedHosts, ['*.shop.internal', '10.0.0.0/8']);
        assert.equal(created.requiresShadow, true, 'shadow tagging is on unless switched off');
        await sleep(5);
        const replaced = await store.upsertEnvironment({
          name,
          allowedHosts: ['localhost'],
          requiresShadow: false,
        });
        assert.deepEqual(replaced.baseUrls, {});
        assert.equal(replaced.requiresShadow, false);
        assert.equal(replaced.createdAt.getTime(), created.createdAt.getTime());
        assert.ok(replaced.updatedAt > created.updatedAt);
        assert.deepEqual(await store.getEnvironment(name), replaced);
        assert.ok((await store.listEnvironments()).some((e) => e.name === name));
        assert.equal(await store.deleteEnvironment(name), true);
        assert.equal(await store.deleteEnvironment(name), false);
        await assert.rejects(store.getEnvironment(name), UnknownEnvironmentError);
      });

      it('report every problem of an invalid environment and write nothing', async () => {
        const name = 'has spaces';
        await assert.rejects(
          store.upsertEnvironment({
            name,
            baseUrls: { api: 'https://api.example.com' },
            allowedHosts: ['localhost:70000', '*.shop.internal'],
          }),
          (e: unknown) => {
            assert.ok(e instanceof InvalidInputError);
            assert.deepEqual(
              e.issues.map((i) => i.path),
              ['name', 'allowedHosts.0', 'baseUrls.api'],
            );
            return true;
          },
        );
        await assert.rejects(
          store.upsertEnvironment({
            name: unique('prod'),
            baseUrls: { api: 'https://api.example.com' },
            allowedHosts: ['*.shop.internal'],
          }),
          /baseUrls\.api: https:\/\/api\.example\.com is not covered by allowedHosts/,
        );
        assert.ok(!(await store.listEnvironments()).some((e) => e.name === name));
      });

      it('keep metrics targets, only on allowed hosts', async () => {
        const name = unique('env');
        const targets = [
          {
            service: 'catalog',
            url: 'http://127.0.0.1:9100/metrics',
            cpuMetric: 'demo_cpu_seconds_total',
          },
        ];
        const env = await store.upsertEnvironment({
          name,
          allowedHosts: ['127.0.0.0/8'],
          metricsTargets: targets,
        });
        assert.deepEqual(env.metricsTargets, targets);
        await assert.rejects(
          store.upsertEnvironment({
            name,
            allowedHosts: ['127.0.0.0/8'],
            metricsTargets: [{ service: 'db', url: 'http://10.1.1.1/metrics' }],
          }),
          /metricsTargets\.0\.url: http:\/\/10\.1\.1\.1\/metrics is not covered by allowedHosts/,
        );
        assert.deepEqual((await store.getEnvironment(name)).metricsTargets, targets);
      });

      it('refuse to delete an environment that runs use', async () => {
        const env = unique('env');
        const scenario = unique('scn');
        await store.upsertEnvironment({ name: env, allowedHosts: ['localhost'] });
        await store.saveScenarioVersion(scenario, 'name: x', { name: scenario });
        await store.createRun({ scenario, environment: env, agents: 1 });
        await assert.rejects(store.deleteEnvironment(env), ConflictError);
        assert.equal((await store.getEnvironment(env)).name, env);
      });
    });

    describe('shadow leaks', () => {
      before(() => store.migrate());

      it('are kept with their run, oldest first; bad reports and unknown runs are refused', async () => {
        const env = unique('env');
        const scenario = unique('scn');
        await store.upsertEnvironment({ name: env, allowedHosts: ['localhost'] });
        await store.saveScenarioVersion(scenario, 'name: x', { name: scenario });
        const run = await store.createRun({ scenario, environment: env, agents: 1 });
        const later = {
          kind: 'redis',
          target: 'cart:1',
          service: 'cart',
          detail: 'SET',
          at: '2026-11-11T00:00:02Z',
        } as const;
        await store.recordLeak(run.id, later);
        await store.recordLeak(run.id, {
          ...later,
          kind: 'postgres',
          target: 'orders',
          at: '2026-11-11T00:00:01Z',
        });
        const leaks = await store.listLeaks(run.id);
        assert.deepEqual(
          leaks.map((l) => [l.kind, l.target]),
          [
            ['postgres', 'orders'],
            ['redis', 'cart:1'],
          ],
        );
        await assert.rejects(
          store.recordLeak(run.id, { ...later, kind: 'disk' as never }),
          InvalidInputError,
        );
        await assert.rejects(store.recordLeak('run_nope', later), /run_nope/);
        assert.equal((await store.listLeaks(run.id)).length, 2, 'nothing more was written');
      });
    });

    describe('scenarios', () => {
      before(() => store.migrate());

      it('give concurrent saves the versions 1..N, each exactly once', async () => {
        const name = unique('checkout');
        const stores = [store, (await db.openAnother()) ?? store];
        const saves = Array.from({ length: 24 }, (_, i) =>
          stores[i % 2]!.saveScenarioVersion(name, `name: ${name} # ${i}`, { i }),
        );
        const saved = await Promise.all(saves);
        assert.deepEqual(
          saved.map((s) => s.version).sort((a, b) => a - b),
          Array.from({ length: 24 }, (_, i) => i + 1),
        );
        const versions = await store.listVersions(name);
        assert.deepEqual(
          versions.map((v) => v.version),
          Array.from({ length: 24 }, (_, i) => i + 1),
        );
        const latest = await store.getScenario(name);
        assert.equal(latest.version, 24);
        const byVersion = new Map(saved.map((s) => [s.version, s]));
        assert.equal(latest.source, byVersion.get(24)!.source);
        const third = await store.getScenario(name, 3);
        assert.equal(third.source, byVersion.get(3)!.source);
        assert.deepEqual(third.parsed, byVersion.get(3)!.parsed);
        const listed = (await store.listScenarios()).find((s) => s.name === name);
        assert.equal(listed?.latestVersion, 24);
      });

      it('keep every version, even an identical one, with its author', async () => {
        const name = unique('browse');
        const first = await store.saveScenarioVersion(name, 'same', { a: 1 }, { createdBy: 'ann' });
        const second = await store.saveScenarioVersion(name, 'same', { a: 1 });
        assert.deepEqual([first.version, second.version], [1, 2]);
        assert.equal((await store.getScenario(name, 1)).createdBy, 'ann');
        assert.equal((await store.getScenario(name, 2)).createdBy, null);
      });

      it('name what is missing or invalid', async () => {
        const name = unique('known');
        await store.saveScenarioVersion(name, 'x', {});
        await assert.rejects(store.getScenario(unique('nope')), UnknownScenarioError);
        await assert.rejects(
          store.getScenario(name, 2),
          /scenario "known-.*" does not exist \(no version 2\)/,
        );
        await assert.rejects(store.listVersions(unique('nope')), UnknownScenarioError);
        await assert.rejects(store.getScenario(name, 0), InvalidInputError);
        await assert.rejects(store.saveScenarioVersion('bad name', '', {}), (e: unknown) => {
          assert.ok(e instanceof InvalidInputError);
          assert.deepEqual(
            e.issues.map((i) => i.path),
            ['name', 'source'],
          );
          return true;
        });
        assert.ok(!(await store.listScenarios()).some((s) => s.name === 'bad name'));
      });
    });

    describe('schedules', () => {
      before(() => store.migrate());

      it('create, find, pause, update and delete', async () => {
        const env = unique('env');
        const [scenario, other] = [unique('scn'), unique('scn')];
        await store.upsertEnvironment({ name: env, allowedHosts: ['localhost'] });
        await store.saveScenarioVersion(scenario, 'v1', {});
        await store.saveScenarioVersion(scenario, 'v2', {});
        await store.saveScenarioVersion(other, 'v1', {});
        const name = unique('nightly');
        const created = await store.createSchedule({
          name,
          scenario,
          version: 1,
          cron: '0 3 * * *',
          timezone: 'Asia/Shanghai',
          environment: env,
          agents: 3,
        });
        assert.match(created.id, /^sch_/);
        assert.deepEqual(
          [created.scenario, created.scenarioVersion, created.paused, created.options],
          [scenario, 1, false, {}],
        );
        assert.deepEqual(await store.getSchedule(created.id), created);
        assert.deepEqual(await store.getSchedule(name), created);

        const paused = await store.pauseSchedule(name);
        assert.equal(paused.paused, true);
        assert.ok((await store.listSchedules({ paused: true })).some((s) => s.id === created.id));
        assert.ok(!(await store.listSchedules({ paused: false })).some((s) => s.id === created.id));
        assert.equal((await store.pauseSchedule(created.id, false)).paused, false);

        const moved = await store.updateSchedule(name, { scenario: other, cron: '*/5 * * * *' });
        assert.deepEqual(
          [moved.scenario, moved.scenarioVersion, moved.cron, moved.agents],
          [other, null, '*/5 * * * *', 3],
          'another scenario unpins the version; untouched fields stay',
        );
        await assert.rejects(store.updateSchedule(name, { version: 9 }), UnknownScenarioError);
        assert.equal(
          (await store.getSchedule(name)).scenario,
          other,
          'failed update changed nothing',
        );

        assert.equal(await store.deleteSchedule(name), true);
        assert.equal(await store.deleteSchedule(name), false);
        await assert.rejects(store.getSchedule(name), UnknownScheduleError);
      });

      it('refuse bad cron, zones, unknown references and duplicate names', async () => {
        const env = unique('env');
        const scenario = unique('scn');
        await store.upsertEnvironment({ name: env, allowedHosts: ['localhost'] });
        await store.saveScenarioVersion(scenario, 'v1', {});
        const base = { name: unique('s'), scenario, cron: '0 3 * * *', environment: env };
        await assert.rejects(
          store.createSchedule({ ...base, cron: '61 * * *', timezone: 'Nowhere/City' }),
          (e: unknown) => {
            assert.ok(e instanceof InvalidInputError);
            assert.deepEqual(
              e.issues.map((i) => i.path),
              ['cron', 'timezone'],
            );
            return true;
          },
        );
        await assert.rejects(
          store.createSchedule({ ...base, scenario: unique('x') }),
          UnknownScenarioError,
        );
        await assert.rejects(store.createSchedule({ ...base, version: 2 }), UnknownScenarioError);
        await assert.rejects(
          store.createSchedule({ ...base, environment: unique('x') }),
          UnknownEnvironmentError,
        );
        await store.createSchedule(base);
        await assert.rejects(store.createSchedule(base), ConflictError);
        const named = (await store.listSchedules()).filter((s) => s.name === base.name);
        assert.equal(named.length, 1);
      });
    });
  });
}
