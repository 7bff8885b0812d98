// The prototype-level guard against the real Postgres: raw pools and clients that never
// went through shadowPg are still caught in a tagged context.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { runInShadow } from '../context.js';
import { type LeakReport, ShadowLeakError } from '../leaks.js';
import { createShadow } from '../shadow.js';
import { instrumentPg } from './pg-guard.js';
import { createTestSchema, PG, type TestSchema } from './pg-testkit.js';

const reports: Array<[string, LeakReport]> = [];
const shadow = createShadow({
  secret: 'pg-guard-secret-01234',
  service: 'mall',
  leakReporter: { report: async (runId, leak) => void reports.push([runId, leak]) },
  log: () => {},
});
const ctx = { runId: 'run-guard', tag: 'unused-here' };
let schema: TestSchema;

before(async () => {
  instrumentPg(pg, shadow);
  schema = await createTestSchema();
});
after(() => schema.drop());

const insert = "INSERT INTO orders (sku, total) VALUES ('A-1', 1)";

describe('instrumentPg guard', () => {
  it('refuses a tagged raw write through a pool, and reports it to the leak reporter', async () => {
    const pool = schema.pool();
    await assert.rejects(
      runInShadow(ctx, () => pool.query(insert)),
      ShadowLeakError,
    );
    assert.equal((await pool.query('SELECT count(*)::int AS n FROM orders')).rows[0].n, 0);
    await shadow.flush();
    assert.equal(reports.length, 1);
    const [runId, leak] = reports[0]!;
    assert.equal(runId, 'run-guard');
    assert.equal(leak.kind, 'postgres');
    assert.equal(leak.target, 'orders');
    assert.equal(leak.service, 'mall');
    assert.ok(!Number.isNaN(Date.parse(leak.at)));
  });

  it('refuses through a raw Client (promise and callback forms) but allows tagged reads', async () => {
    const client = new pg.Client({ ...PG, options: `-c search_path=${schema.name}` });
    await client.connect();
    try {
      await runInShadow(ctx, async () => {
        await assert.rejects(client.query({ text: 'DELETE FROM products' }), ShadowLeakError);
        const err = await new Promise((resolve) => client.query(insert, [], resolve));
        assert.ok(err instanceof ShadowLeakError);
        const rows = await client.query('SELECT sku FROM products ORDER BY sku');
        assert.deepEqual(rows.rows, [{ sku: 'A-1' }, { sku: 'B-2' }]);
      });
      await client.query(insert); // untagged: production write is fine
    } finally {
      await client.end();
    }
    assert.equal(shadow.counters.leaks.postgres, 3);
  });

  it('keeps each waiter in its own context when a busy pool hands a client over', async () => {
    const pool = schema.pool(1);
    // Shadow request holds the only connection; production requests queue behind it and
    // receive the client from inside the shadow request's release().
    const shadowHolder = runInShadow(ctx, async () => {
      const client = await pool.connect();
      await sleep(50);
      client.release();
    });
    await sleep(10);
    const production = Promise.all([pool.query(insert), pool.query(insert)]);
    await Promise.all([shadowHolder, production]);
    // And the reverse: a tagged write waiting behind production must still be refused.
    const prodHolder = (async () => {
      const client = await pool.connect();
      await sleep(50);
      client.release();
    })();
    await sleep(10);
    const tagged = runInShadow(ctx, () => pool.query(insert));
    await prodHolder;
    await assert.rejects(tagged, ShadowLeakError);
    assert.equal((await pool.query('SELECT count(*)::int AS n FROM orders')).rows[0].n, 3);
  });
});
