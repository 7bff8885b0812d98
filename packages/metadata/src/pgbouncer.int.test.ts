// Postgres behind PgBouncer in transaction pooling mode: the pooler really multiplexes
// clients over few server connections (so session state would leak or vanish), and the
// metadata store's coordination (migrations under their advisory xact lock, run creation,
// shard claims, coordination leases, the control_leader lease) raced from two pools gives
// the same results through PgBouncer as directly. The whole integration suites also run
// through PgBouncer (test-backends.ts); this file adds the proof that pooling happened and
// the side-by-side comparison.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { MetadataStore } from './index.js';
import { type PgBouncer, pgbouncerBinary, startPgBouncer } from './pgbouncer-fixture.js';
import { DEFAULT_TEST_URL } from './test-backends.js';

const upstream = process.env.DATABASE_URL ?? DEFAULT_TEST_URL;

async function serverSkip(): Promise<string | false> {
  if (!pgbouncerBinary()) {
    return 'pgbouncer is not installed (apt-get install pgbouncer; npm test installs it)';
  }
  const client = new pg.Client({ connectionString: upstream, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return false;
  } catch (error) {
    return `Postgres not reachable at ${upstream} (${(error as Error).message}); set DATABASE_URL`;
  }
}

const at = (base: string, database: string) => {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
};

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: upstream });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** One fixed sequence of coordination, raced over two stores; what it returned and left. */
async function coordinate(a: MetadataStore, b: MetadataStore) {
  const migrated = await Promise.all([a.migrate(), b.migrate()]);
  await a.upsertEnvironment({ name: 'env', allowedHosts: ['localhost'] });
  await a.saveScenarioVersion('scn', 'v1', { v: 1 });
  const run = await a.createRun({ scenario: 'scn', environment: 'env', agents: 3 });
  await b.beginCoordination(run.id, { planned: true });
  const stores = [a, b];
  const claims = await Promise.all(
    Array.from({ length: 24 }, (_, i) =>
      stores[i % 2]!.claimRunShard({ runId: run.id, agentId: `a${i}`, shardIndex: i % 3 }),
    ),
  );
  const leases = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      stores[i % 2]!.acquireRunLease({ runId: run.id, coordinator: `c${i}`, ttlMs: 60_000 }),
    ),
  );
  const leaders = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      stores[i % 2]!.acquireLeadership({ holder: `c${i}`, url: `https://c${i}`, ttlMs: 60_000 }),
    ),
  );
  const leader = await b.getLeader();
  const holder = leader?.holder ?? '';
  const renewed = await a.acquireLeadership({ holder, url: `https://${holder}`, ttlMs: 60_000 });
  const stolen = await b.acquireLeadership({ holder: 'intruder', url: 'https://x', ttlMs: 60_000 });
  await a.releaseLeadership(holder);
  const afterRelease = await b.acquireLeadership({ holder: 'next', url: 'https://n', ttlMs: 1 });
  return {
    // which of the two migrated is a race; together they applied each migration once
    migrated: [...migrated[0], ...migrated[1]].sort(),
    again: await a.migrate(),
    runStatus: (await b.getRun(run.id)).status,
    claimWinnersPerShard: [0, 1, 2].map(
      (shard) => claims.filter((won, i) => won && i % 3 === shard).length,
    ),
    shards: (await b.listShards(run.id)).map((s) => [
      s.state,
      // the winning agent of a race differs between runs of it; that one won does not
      s.agentId === null ? null : 'agent',
    ]),
    leaseWinners: leases.filter(Boolean).length,
    leaderWinners: leaders.filter(Boolean).length,
    leaderIsAWinner: leaders[Number(holder.slice(1))] === true,
    live: leader?.live,
    renewed,
    stolen,
    afterRelease,
  };
}

describe('PgBouncer, transaction pooling', async () => {
  const skip = await serverSkip();
  let bouncer: PgBouncer | undefined;
  const databases: string[] = [];
  const stores: MetadataStore[] = [];

  before(async () => {
    if (skip) return;
    bouncer = await startPgBouncer(upstream, 2);
  });
  after(async () => {
    await Promise.allSettled(stores.map((s) => s.close()));
    await bouncer?.stop();
    for (const db of databases) await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  });

  async function scratch(): Promise<string> {
    const name = `loadline_test_${randomBytes(6).toString('hex')}`;
    await admin(`CREATE DATABASE ${name}`);
    databases.push(name);
    return name;
  }

  async function open(url: string): Promise<MetadataStore> {
    const store = await MetadataStore.open({ url });
    stores.push(store);
    return store;
  }

  it('runs in transaction mode and shares server connections between clients', {
    skip,
  }, async (t) => {
    const url = (bouncer as PgBouncer).url;
    t.diagnostic(`${bouncer?.version}`);
    // the admin console speaks the simple query protocol only: pg uses it without params
    const console = new pg.Client({ connectionString: at(url, 'pgbouncer') });
    await console.connect();
    const config = await console.query('SHOW CONFIG');
    await console.end();
    const setting = (key: string) => config.rows.find((r) => r.key === key)?.value;
    assert.equal(setting('pool_mode'), 'transaction');
    assert.equal(setting('default_pool_size'), '2');

    const database = await scratch();
    const clients = Array.from({ length: 6 }, () => new pg.Client(at(url, database)));
    await Promise.all(clients.map((c) => c.connect()));
    try {
      const pids = new Set<number>();
      for (const client of clients) {
        const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
        pids.add(rows[0].pid);
      }
      // six clients, at most two server sessions: what one client SETs, another one sees
      assert.ok(pids.size <= 2, `six clients on ${pids.size} server connections`);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  it('coordination raced over two pools gives what it gives directly', { skip }, async (t) => {
    const direct = await scratch();
    const pooled = await scratch();
    const url = (bouncer as PgBouncer).url;
    const started = performance.now();
    const viaDirect = await coordinate(
      await open(at(upstream, direct)),
      await open(at(upstream, direct)),
    );
    const directMs = performance.now() - started;
    const viaBouncer = await coordinate(await open(at(url, pooled)), await open(at(url, pooled)));
    t.diagnostic(
      `direct ${directMs.toFixed(0)} ms, via pgbouncer ${(performance.now() - started - directMs).toFixed(0)} ms`,
    );
    assert.deepEqual(viaBouncer, viaDirect);
    // and the figures themselves, so that two equally wrong paths do not pass
    assert.ok(viaDirect.migrated.length > 0);
    assert.deepEqual(viaDirect.again, []);
    assert.deepEqual(viaDirect.claimWinnersPerShard, [1, 1, 1]);
    assert.deepEqual(viaDirect.shards, [
      ['claimed', 'agent'],
      ['claimed', 'agent'],
      ['claimed', 'agent'],
    ]);
    assert.equal(viaDirect.leaseWinners, 1);
    assert.equal(viaDirect.leaderWinners, 1);
    assert.equal(viaDirect.leaderIsAWinner, true);
    assert.equal(viaDirect.live, true);
    assert.equal(viaDirect.renewed, true);
    assert.equal(viaDirect.stolen, false);
    assert.equal(viaDirect.afterRelease, true);

    // the ledgers are the same rows
    const ledger = async (base: string, db: string) => {
      const client = new pg.Client(at(base, db));
      await client.connect();
      const { rows } = await client.query(
        'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
      );
      await client.end();
      return rows;
    };
    assert.deepEqual(await ledger(url, pooled), await ledger(upstream, direct));
  });
});
