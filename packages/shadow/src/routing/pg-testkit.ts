// Test support for the Postgres integration tests: a throwaway schema on the real server.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };

export interface TestSchema {
  name: string;
  /** A pool whose search_path is the test schema. */
  pool: (max?: number) => pg.Pool;
  drop(): Promise<void>;
}

/** Creates `orders` (written by the app) and `products` (catalogue, only read). */
export async function createTestSchema(): Promise<TestSchema> {
  const name = `shadow_t_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client(PG);
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${name}`);
  await admin.query(`CREATE TABLE ${name}.products (sku text PRIMARY KEY, price int NOT NULL)`);
  await admin.query(`INSERT INTO ${name}.products VALUES ('A-1', 100), ('B-2', 250)`);
  await admin.query(
    `CREATE TABLE ${name}.orders (id serial PRIMARY KEY, sku text NOT NULL, total int NOT NULL CHECK (total > 0))`,
  );
  await admin.query(`CREATE INDEX ON ${name}.orders (sku)`);
  const pools: pg.Pool[] = [];
  return {
    name,
    pool(max = 4) {
      const p = new pg.Pool({ ...PG, max, options: `-c search_path=${name}` });
      pools.push(p);
      return p;
    },
    async drop() {
      await Promise.all(pools.map((p) => p.end()));
      await admin.query(`DROP SCHEMA ${name} CASCADE`);
      await admin.end();
    },
  };
}
