// Server mode over real HTTP: the store suite through ServerDriver (@clickhouse/client) to
// ClickHouse's HTTP interface served from embedded chdb (serveChdbOverHttp), the way a
// control reaches a ClickHouse server, since no server new enough installs here.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { type ChdbHttp, serveChdbOverHttp } from './chdb-http.js';
import { ResultStore } from './index.js';
import { storeSuite } from './store.suite.js';

let dir: string | undefined;
let endpoint: ChdbHttp | undefined;

storeSuite("server over HTTP (chdb behind ClickHouse's HTTP interface)", async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadline-chdb-http-'));
  endpoint = await serveChdbOverHttp(dir);
  const database = `loadline_${randomBytes(4).toString('hex')}`;
  return ResultStore.open({ mode: 'server', url: endpoint.url, database });
});

after(async () => {
  await endpoint?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});
