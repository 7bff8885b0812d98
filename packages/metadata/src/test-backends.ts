/**
 * Test support for the integration suites: each suite runs on in-memory PGlite, on a real
 * Postgres server (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test), and on
 * that server through PgBouncer in transaction pooling mode (pgbouncer-fixture.ts), each
 * time in a database of its own (`loadline_test_<random>`) that is dropped afterwards. When
 * the server cannot be reached or pgbouncer is not installed, that backend is skipped with
 * the reason.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pgbouncerBinary, startPgBouncer } from './pgbouncer-fixture.js';
import { MetadataStore } from './store.js';

export const DEFAULT_TEST_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  store: MetadataStore;
  /** A second, independent store on the same database; undefined for in-memory PGlite. */
  openAnother(): Promise<MetadataStore | undefined>;
  drop(): Promise<void>;
}

export interface Backend {
  name: string;
  /** Why the backend is unavailable, or false. */
  skip: string | false;
  create(options?: { migrate?: boolean }): Promise<TestDatabase>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function postgresSkip(url: string): Promise<string | false> {
  try {
    await adminQuery(url, 'select 1');
    return false;
  } catch (error) {
    const reason = error instanceof Error ? error.message || error.name : String(error);
    return `Postgres not reachable at ${url} (${reason}); set DATABASE_URL to run these tests`;
  }
}

/**
 * A fresh database on the server, reached directly or, with `bouncer`, through a PgBouncer
 * of its own (started here, stopped by drop()).
 */
async function postgresBackend(bouncer: boolean): Promise<Backend> {
  const url = process.env.DATABASE_URL ?? DEFAULT_TEST_URL;
  let skip = await postgresSkip(url);
  if (!skip && bouncer && !pgbouncerBinary()) {
    skip = 'pgbouncer is not installed (apt-get install pgbouncer; npm test installs it)';
  }
  return {
    name: bouncer ? 'postgres via pgbouncer (transaction pooling)' : 'postgres',
    skip,
    async create(options = {}) {
      const database = `loadline_test_${randomBytes(6).toString('hex')}`;
      await adminQuery(url, `CREATE DATABASE ${database}`);
      const pooler = bouncer ? await startPgBouncer(url) : undefined;
      const dbUrl = withDatabase(pooler?.url ?? url, database);
      const opened: MetadataStore[] = [];
      const open = async () => {
        const store = await MetadataStore.open({ url: dbUrl });
        opened.push(store);
        return store;
      };
      const store = await open();
      if (options.migrate !== false) await store.migrate();
      return {
        store,
        openAnother: open,
        async drop() {
          await Promise.allSettled(opened.map((s) => s.close()));
          await pooler?.stop();
          await adminQuery(url, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        },
      };
    },
  };
}

const pgliteBackend: Backend = {
  name: 'pglite',
  skip: false,
  async create(options = {}) {
    const store = await MetadataStore.open();
    if (options.migrate !== false) await store.migrate();
    return {
      store,
      openAnother: async () => undefined,
      drop: () => store.close(),
    };
  },
};

/** Both backends, Postgres carrying its skip reason when the server is unreachable. */
export async function backends(): Promise<Backend[]> {
  return [pgliteBackend, await postgresBackend(false), await postgresBackend(true)];
}

/** A name no other test in the run uses. */
export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
