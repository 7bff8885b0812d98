// Embedded mode against real chdb in a temp directory (one session for the whole file:
// chdb binds one data directory per process).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ResultStore } from './index.js';
import { storeSuite } from './store.suite.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadline-store-'));
});
after(() => rm(dir, { recursive: true, force: true }));

storeSuite('embedded chdb', () => ResultStore.open({ path: dir }));

describe('embedded persistence', () => {
  test('data survives closing and reopening the data directory', async () => {
    const first = await ResultStore.open({ path: dir });
    await first.migrate();
    // a recent minute: rows past their 90-day TTL are dropped on write
    await first.driver.exec(
      "INSERT INTO interval_ingests (run_id, step, status_class, minute) VALUES ('run_persist', 's', '2xx', {minute:UInt32})",
      { minute: Math.floor(Date.now() / 1000) },
    );
    await first.close();
    const second = await ResultStore.open({ path: dir });
    try {
      assert.deepEqual((await second.migrate()).applied, []);
      const rows = await second.driver.query<{ n: number }>(
        "SELECT count() AS n FROM interval_ingests WHERE run_id = 'run_persist'",
      );
      assert.equal(Number(rows[0]?.n), 1);
    } finally {
      await second.close();
    }
  });

  test('options are validated', async () => {
    await assert.rejects(ResultStore.open({ mode: 'server', url: 'not a url' }), /store options/);
  });
});
