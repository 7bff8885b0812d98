// Cluster mode (CLICKHOUSE_CLUSTER) end to end through the server code path: the whole
// store suite over @clickhouse/client and HTTP, against chdb configured as a one-node
// cluster, so every query and insert goes through the Distributed tables that the store's
// cluster-mode migrate() created from the translated migrations, and deleteRun deletes
// from the local tables. Keeper-less here (see chdb-cluster.fixture.ts): the migrations run
// without ON CLUSTER and over plain *MergeTree locals; the ON CLUSTER clause and the
// Replicated engines are only checked by cluster-schema.int.test.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { oneNodeCluster, TEST_CLUSTER } from './chdb-cluster.fixture.js';
import { type ChdbHttp, serveChdbOverHttp } from './chdb-http.js';
import type { ClickHouseDriver } from './driver.js';
import { ResultStore } from './index.js';
import { storeSuite } from './store.suite.js';

let dir: string | undefined;
let endpoint: ChdbHttp | undefined;
const database = `loadline_${randomBytes(4).toString('hex')}`;
const cluster = { cluster: TEST_CLUSTER, replicated: false, onCluster: false };

async function open(): Promise<ResultStore> {
  if (!endpoint) {
    dir = await mkdtemp(join(tmpdir(), 'loadline-cluster-'));
    endpoint = await serveChdbOverHttp(join(dir, 'data'), 0, await oneNodeCluster(dir));
  }
  return ResultStore.open({ mode: 'server', url: endpoint.url, database, cluster });
}

storeSuite(`server in cluster mode (chdb as one-node cluster ${TEST_CLUSTER})`, open);

describe('cluster mode tables', () => {
  test('the store reads and writes Distributed tables over *_local tables', async () => {
    const store = await open();
    try {
      await store.migrate();
      const rows = await store.driver.query<{ name: string; engine: string }>(
        'SELECT name, engine FROM system.tables WHERE database = {db:String} ORDER BY name',
        { db: database },
      );
      const engines = Object.fromEntries(rows.map((r) => [r.name, r.engine]));
      for (const table of ['intervals', 'interval_minutes', 'interval_ingests', 'target_metrics']) {
        assert.equal(engines[table], 'Distributed', table);
        assert.equal(engines[`${table}_local`], 'ReplacingMergeTree', `${table}_local`);
      }
      assert.equal(engines.schema_migrations, 'ReplacingMergeTree');
    } finally {
      await store.close();
    }
  });

  test('a migrated cluster is migrated again without any DDL (a node may be down)', async () => {
    const store = await open();
    const executed: string[] = [];
    // the store's own server driver, with its statements recorded on the way through
    const recording: ClickHouseDriver = {
      mode: store.driver.mode,
      exec: (sql, params) => {
        executed.push(sql);
        return store.driver.exec(sql, params);
      },
      insertJSONEachRow: (table, rows) => store.driver.insertJSONEachRow(table, rows),
      query: (sql, params) => store.driver.query(sql, params),
      close: () => store.driver.close(),
    };
    const again = ResultStore.fromDriver(recording, { cluster: { ...cluster, database } });
    try {
      const report = await again.migrate();
      assert.deepEqual(report.applied, []);
      assert.deepEqual(executed, []);
    } finally {
      await again.close();
    }
  });
});

after(async () => {
  await endpoint?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});
