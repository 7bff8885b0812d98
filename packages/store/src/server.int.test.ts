// Server mode: the same suite through ServerDriver (@clickhouse/client, query_params).
// - against a real ClickHouse server when CLICKHOUSE_URL is set (a throwaway database);
// - always, against chdb plugged into @clickhouse/client as its Connection: the client's
//   parameter binding, inserts and JSON results, without a server.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { ResultStore, ServerDriver } from './index.js';
import { storeSuite } from './store.suite.js';

const url = process.env.CLICKHOUSE_URL;

if (url) {
  const database = `loadline_test_${randomBytes(4).toString('hex')}`;
  storeSuite(`server ${url}`, () => ResultStore.open({ mode: 'server', url, database }));
  after(async () => {
    const admin = createClient({ url });
    await admin.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
    await admin.close();
  });
} else {
  describe('ResultStore (server)', () => {
    test('against a ClickHouse server', (t) => {
      t.skip(
        'CLICKHOUSE_URL not set: no ClickHouse server to test against (e.g. http://127.0.0.1:8123)',
      );
    });
  });
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadline-store-client-'));
});
after(() => rm(dir, { recursive: true, force: true }));

// chdb's Connection is typed against its own copy of @clickhouse/client-common
type ClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];

storeSuite('ServerDriver over chdb Connection', async () => {
  const connection = createChdbConnection({ path: dir }) as unknown as ClientConnection;
  return ResultStore.fromDriver(new ServerDriver(createClient({ connection })));
});
