import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeSql, parseTableName } from './sql.js';

const tables = ['orders', 'shop.payments', '"CartItems"'].map(parseTableName);
const rewrite = (sql: string) => analyzeSql(sql, tables).sql;
const writes = (sql: string) => analyzeSql(sql, []).productionWrites;

describe('parseTableName', () => {
  it('folds unquoted names and keeps quoted ones', () => {
    assert.deepEqual(parseTableName('Shop.Orders'), { schema: 'shop', name: 'orders' });
    assert.deepEqual(parseTableName('"Shop"."Orders"'), { schema: 'Shop', name: 'Orders' });
    assert.throws(() => parseTableName('a.b.c'), TypeError);
  });
});

describe('analyzeSql rewriting', () => {
  const cases: Array<[string, string]> = [
    [
      'INSERT INTO orders (id, total) VALUES ($1, $2)',
      'INSERT INTO shadow_orders (id, total) VALUES ($1, $2)',
    ],
    [
      'update ORDERS set total = 1 where id = $1',
      'update shadow_ORDERS set total = 1 where id = $1',
    ],
    ['DELETE FROM public.orders WHERE id = 1', 'DELETE FROM public.shadow_orders WHERE id = 1'],
    [
      'SELECT orders.id, o2.* FROM orders JOIN orders o2 ON o2.id = orders.id',
      'SELECT shadow_orders.id, o2.* FROM shadow_orders JOIN shadow_orders o2 ON o2.id = shadow_orders.id',
    ],
    [
      'SELECT * FROM shop.payments p, orders WHERE p.order_id = orders.id',
      'SELECT * FROM shop.shadow_payments p, shadow_orders WHERE p.order_id = shadow_orders.id',
    ],
    [
      'select * from "CartItems" ci join "cartitems" x on true',
      'select * from "shadow_CartItems" ci join "cartitems" x on true',
    ],
    [
      'INSERT INTO orders AS o (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET total = orders.total + excluded.total RETURNING orders.*',
      'INSERT INTO shadow_orders AS o (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET total = shadow_orders.total + excluded.total RETURNING shadow_orders.*',
    ],
    [
      'SELECT * FROM orders WHERE id = 1 FOR UPDATE OF orders',
      'SELECT * FROM shadow_orders WHERE id = 1 FOR UPDATE OF shadow_orders',
    ],
    [
      'WITH d AS (DELETE FROM orders RETURNING id) SELECT count(*) FROM d',
      'WITH d AS (DELETE FROM shadow_orders RETURNING id) SELECT count(*) FROM d',
    ],
    [
      'TRUNCATE TABLE ONLY orders, shop.payments',
      'TRUNCATE TABLE ONLY shadow_orders, shop.shadow_payments',
    ],
    [
      'MERGE INTO orders o USING staged s ON o.id = s.id WHEN MATCHED THEN DELETE',
      'MERGE INTO shadow_orders o USING staged s ON o.id = s.id WHEN MATCHED THEN DELETE',
    ],
    ['SELECT * FROM generate_series(1, 3) orders', 'SELECT * FROM generate_series(1, 3) orders'],
    [
      'UPDATE orders SET total = p.amount FROM shop.payments p WHERE p.order_id = orders.id',
      'UPDATE shadow_orders SET total = p.amount FROM shop.shadow_payments p WHERE p.order_id = shadow_orders.id',
    ],
  ];
  for (const [input, expected] of cases) {
    it(input, () => assert.equal(rewrite(input), expected));
  }

  it('never touches strings, comments, dollar quotes or other schemas', () => {
    const sql = `SELECT 'from orders', $$ insert into orders $$, E'it\\'s orders' -- from orders
      /* delete from orders /* nested */ */ FROM audit.orders, shop_orders, "orders_archive"`;
    assert.equal(rewrite(sql), sql);
  });

  it('does not treat an expression FROM as a table position', () => {
    const sql = 'SELECT substring(name FROM 2) FROM orders WHERE extract(year FROM created) = 1';
    assert.equal(
      rewrite(sql),
      'SELECT substring(name FROM 2) FROM shadow_orders WHERE extract(year FROM created) = 1',
    );
  });

  it('lists the shadow tables a statement needs', () => {
    assert.deepEqual(
      analyzeSql('INSERT INTO shop.payments SELECT * FROM "CartItems"', tables).shadowed,
      [
        { production: 'shop.payments', shadow: 'shop.shadow_payments' },
        { production: '"CartItems"', shadow: '"shadow_CartItems"' },
      ],
    );
  });
});

describe('analyzeSql write detection (leak guard)', () => {
  it('finds writes to non-shadow tables', () => {
    assert.deepEqual(writes('INSERT INTO orders VALUES (1)'), ['orders']);
    assert.deepEqual(writes('update shop.orders set x = 1'), ['shop.orders']);
    assert.deepEqual(writes('DELETE FROM "Orders" USING customers c WHERE true'), ['"Orders"']);
    assert.deepEqual(writes('truncate a, b'), ['a', 'b']);
    assert.deepEqual(writes('DROP TABLE IF EXISTS orders'), ['orders']);
    assert.deepEqual(writes('COPY orders FROM STDIN'), ['orders']);
    assert.deepEqual(writes('WITH x AS (UPDATE orders SET a = 1 RETURNING *) SELECT 1'), [
      'orders',
    ]);
    assert.deepEqual(writes('SELECT * INTO backup FROM orders'), ['backup']);
  });

  it('allows reads, row locks and writes to shadow tables', () => {
    for (const sql of [
      'SELECT * FROM orders JOIN customers USING (id) FOR UPDATE',
      'SELECT * FROM orders FOR NO KEY UPDATE OF orders',
      'COPY orders TO STDOUT',
      'INSERT INTO shadow_orders VALUES (1) ON CONFLICT DO NOTHING',
      'INSERT INTO shadow_orders VALUES (1) ON CONFLICT (id) DO UPDATE SET a = 1',
      'CREATE TABLE IF NOT EXISTS shop."shadow_Orders" (LIKE shop."Orders" INCLUDING ALL)',
      'LOCK TABLE orders',
      "SELECT 'insert into orders'",
    ]) {
      assert.deepEqual(writes(sql), [], sql);
    }
  });
});
