// shadowPg / shadowQueryable against the real Postgres, without the prototype guard:
// the wrappers alone must route and fail closed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { runInShadow } from '../context.js';
import { ShadowLeakError } from '../leaks.js';
import { createShadow } from '../shadow.js';
import { shadowPg, shadowQueryable } from './pg.js';
import { createTestSchema, type TestSchema } from './pg-testkit.js';

const shadow = createShadow({ secret: 'pg-secret-0123456789', service: 'mall', log: () => {} });
const ctx = { runId: 'run-pg', tag: 'unused-here' };
let schema: TestSchema;
let pool: pg.Pool;
let db: pg.Pool;

const count = async (table: string) =>
  Number((await pool.query(`SELECT count(*) AS n FROM ${schema.name}.${table}`)).rows[0].n);

before(async () => {
  schema = await createTestSchema();
  pool = schema.pool();
  db = shadowPg(pool, { shadow, tables: ['orders'] });
});
after(() => schema.drop());

const order =
  'INSERT INTO orders (sku, total) SELECT sku, price FROM products WHERE sku = $1 RETURNING id, total';

describe('shadowPg', () => {
  it('writes untagged traffic to production', async () => {
    const res = await db.query(order, ['A-1']);
    assert.equal(res.rows[0].total, 100);
    assert.equal(await count('orders'), 1);
  });

  it('routes tagged writes to a shadow table created like the production one, reading production catalogue data', async () => {
    const res = await runInShadow(ctx, () => db.query(order, ['B-2']));
    assert.equal(res.rows[0].total, 250);
    assert.equal(await count('orders'), 1);
    assert.equal(await count('shadow_orders'), 1);
    // LIKE … INCLUDING ALL copied the CHECK constraint and the index.
    await assert.rejects(
      runInShadow(ctx, () => db.query("INSERT INTO orders (sku, total) VALUES ('x', 0)")),
      /check constraint/,
    );
    const idx = await pool.query(
      'SELECT count(*) AS n FROM pg_indexes WHERE schemaname = $1 AND tablename = $2',
      [schema.name, 'shadow_orders'],
    );
    assert.equal(Number(idx.rows[0].n), 2);
  });

  it('routes a transaction on a checked-out client, and reads see shadow rows only', async () => {
    await runInShadow(ctx, async () => {
      const client = await db.connect();
      try {
        await client.query('BEGIN');
        await client.query("UPDATE orders SET total = total + 1 WHERE sku = 'B-2'");
        const seen = await client.query('SELECT sku, total FROM orders ORDER BY id');
        assert.deepEqual(seen.rows, [{ sku: 'B-2', total: 251 }]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    });
    const prod = await pool.query('SELECT sku, total FROM orders');
    assert.deepEqual(prod.rows, [{ sku: 'A-1', total: 100 }]);
  });

  it('creates the shadow table once under concurrent first use', async () => {
    await pool.query(`DROP TABLE ${schema.name}.shadow_orders`);
    const fresh = shadowPg(schema.pool(8), { shadow, tables: ['orders'] });
    const other = shadowPg(schema.pool(8), { shadow, tables: ['orders'] });
    await runInShadow(ctx, () =>
      Promise.all(
        Array.from({ length: 16 }, (_, i) => (i % 2 ? fresh : other).query(order, ['A-1'])),
      ),
    );
    assert.equal(await count('shadow_orders'), 16);
  });

  it('refuses a tagged write to an undeclared table and reports it', async () => {
    const before = shadow.counters.leaks.postgres;
    await assert.rejects(
      runInShadow(ctx, () => db.query("UPDATE products SET price = 1 WHERE sku = 'A-1'")),
      (err: unknown) => err instanceof ShadowLeakError && err.leak.target === 'products',
    );
    assert.equal(shadow.counters.leaks.postgres, before + 1);
    assert.equal(
      (await pool.query("SELECT price FROM products WHERE sku = 'A-1'")).rows[0].price,
      100,
    );
  });

  it('supports the callback form', async () => {
    const rows = await new Promise<unknown[]>((resolve, reject) =>
      runInShadow(ctx, () =>
        (db.query as (t: string, cb: (e: Error | undefined, r: pg.QueryResult) => void) => void)(
          'SELECT count(*)::int AS n FROM orders',
          (err, res) => (err ? reject(err) : resolve(res.rows)),
        ),
      ),
    );
    assert.deepEqual(rows, [{ n: 16 }]);
  });
});

describe('shadowQueryable (any { query(sql, params) } client)', () => {
  it('routes and fails closed the same way', async () => {
    const minimal = { query: (sql: string, params?: unknown[]) => pool.query(sql, params) };
    const q = shadowQueryable(minimal, { shadow, tables: ['orders'] });
    await runInShadow(ctx, () => q.query("INSERT INTO orders (sku, total) VALUES ('Q', 5)"));
    assert.equal(
      (await pool.query("SELECT count(*)::int AS n FROM shadow_orders WHERE sku = 'Q'")).rows[0].n,
      1,
    );
    await assert.rejects(
      runInShadow(ctx, () => q.query('DELETE FROM products')),
      ShadowLeakError,
    );
    assert.equal(await count('products'), 2);
  });
});
