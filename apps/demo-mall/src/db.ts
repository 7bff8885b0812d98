/**
 * The mall's Postgres: a server through a node-postgres pool (DATABASE_URL), or embedded
 * PGlite (a data directory, or memory). Drivers load lazily, so each mode loads only its own.
 */
import { mkdir } from 'node:fs/promises';
import type { Pool, PoolClient } from 'pg';
import type { Product } from './catalogue.js';

export interface Queryable {
  query<Row>(sql: string, params?: unknown[]): Promise<{ rows: Row[]; rowCount: number }>;
}

export interface Database extends Queryable {
  kind: 'pglite' | 'postgres';
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

async function openPostgres(url: string): Promise<Database> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on('error', () => {});
  try {
    await pool.query('select 1');
  } catch (error) {
    await pool.end().catch(() => {});
    throw new Error(`cannot reach Postgres at ${redact(url)}: ${(error as Error).message}`);
  }
  const run = async <Row>(client: Pool | PoolClient, sql: string, params?: unknown[]) => {
    const result = await client.query(sql, params);
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
  };
  return {
    kind: 'postgres',
    query: (sql, params) => run(pool, sql, params),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await fn({ query: (sql, params) => run(client, sql, params) });
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir);
  type Client = Pick<typeof client, 'query'>;
  const run = async <Row>(db: Client, sql: string, params?: unknown[]) => {
    const result = await db.query<Row>(sql, params);
    return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
  };
  return {
    kind: 'pglite',
    query: (sql, params) => run(client, sql, params),
    transaction: (fn) =>
      client.transaction((tx) => fn({ query: (sql, params) => run(tx, sql, params) })),
    close: () => client.close(),
  };
}

export function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.databaseUrl ? openPostgres(options.databaseUrl) : openPglite(options.dataDir);
}

const SCHEMA = [
  `create table if not exists orders (
     id bigserial primary key,
     ref text not null unique,
     user_id text not null,
     status text not null,
     total_cents bigint not null,
     payment_id text not null,
     created_at timestamptz not null default now())`,
  `create table if not exists order_items (
     order_id bigint not null references orders(id),
     product_id integer not null,
     qty integer not null,
     price_cents integer not null,
     primary key (order_id, product_id))`,
  `create table if not exists inventory (
     product_id integer primary key,
     stock integer not null check (stock >= 0),
     reserved integer not null default 0 check (reserved >= 0))`,
  `create table if not exists inventory_reservations (
     ref text not null,
     product_id integer not null,
     qty integer not null,
     created_at timestamptz not null default now(),
     primary key (ref, product_id))`,
];

/** What the broken audit (`brokenShadowAudit`) writes, bypassing the shadow SDK. */
const AUDIT_SCHEMA = `create table if not exists order_audit (
     id bigserial primary key,
     order_id bigint not null,
     ref text not null,
     user_id text not null,
     at timestamptz not null default now())`;

/** The tables shadow traffic writes: each has a `shadow_` twin. */
export const SHADOWED_TABLES = ['orders', 'order_items', 'inventory', 'inventory_reservations'];

/** Creates the tables when missing and stocks every product not stocked yet. */
export async function migrate(
  db: Database,
  products: Product[],
  options: { audit?: boolean } = {},
): Promise<void> {
  for (const statement of SCHEMA) await db.query(statement);
  if (options.audit) await db.query(AUDIT_SCHEMA);
  await db.query(
    `insert into inventory (product_id, stock)
     select * from unnest($1::int[], $2::int[]) on conflict (product_id) do nothing`,
    [products.map((p) => p.id), products.map((p) => p.stock)],
  );
}
