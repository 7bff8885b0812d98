import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { type ClusterOptions, clusterDatabaseStatement } from './cluster-schema.js';
import { assertTableName, type ClickHouseDriver, type QueryParams } from './driver.js';

export interface ServerOptions {
  /** e.g. http://127.0.0.1:8123; credentials may be in the URL */
  url: string;
  /** created when missing; default "loadline" */
  database?: string;
  username?: string;
  password?: string;
  /** a cluster: the database is created ON CLUSTER and CLUSTER_SETTINGS apply */
  cluster?: ClusterOptions;
}

const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Settings that make the server answer like chdb does: 64-bit sums as JSON numbers. */
const SETTINGS = { output_format_json_quote_64bit_integers: 0 } as const;

/**
 * What the store's logic needs from Distributed tables (reasons in cluster-schema.sql):
 * inserts on their shard before they return (the rollup invariant), compactRun's NOT IN
 * answered per shard (every table shards by run), a run's queries on its one shard, and
 * one replica per shard for reads and writes alike.
 */
export const CLUSTER_SETTINGS = {
  distributed_foreground_insert: 1,
  distributed_product_mode: 'local',
  optimize_skip_unused_shards: 1,
  load_balancing: 'in_order',
} as const;

async function databaseExists(client: ClickHouseClient, database: string): Promise<boolean> {
  const result = await client.query({
    query: 'SELECT count() AS n FROM system.databases WHERE name = {db:String}',
    query_params: { db: database },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: number | string }>();
  return Number(row?.n) > 0;
}

/**
 * A ClickHouse server through the official client (HTTP). Values are sent as query
 * parameters (`query_params`), which the server binds; SQL text carries none.
 */
export class ServerDriver implements ClickHouseDriver {
  readonly mode = 'server';
  #client: ClickHouseClient;
  readonly #settings: Record<string, string | number>;

  /** Wraps a configured client (tests use one over chdb's Connection). */
  constructor(client: ClickHouseClient, options: { cluster?: boolean } = {}) {
    this.#client = client;
    this.#settings = options.cluster ? { ...SETTINGS, ...CLUSTER_SETTINGS } : SETTINGS;
  }

  /** Connects, creating the database first when it does not exist. */
  static async open(options: ServerOptions): Promise<ServerDriver> {
    const database = options.database ?? 'loadline';
    if (!DATABASE_NAME.test(database)) {
      throw new RangeError(`database must be a plain identifier, got ${JSON.stringify(database)}`);
    }
    const auth = {
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.password === undefined ? {} : { password: options.password }),
    };
    const admin = createClient({ url: options.url, ...auth });
    try {
      // The name is checked above: a plain identifier, quoted.
      if (!options.cluster) {
        await admin.command({ query: `CREATE DATABASE IF NOT EXISTS \`${database}\`` });
      } else if (!(await databaseExists(admin, database))) {
        // ON CLUSTER waits for every node: only when missing (see migrate())
        await admin.command({ query: clusterDatabaseStatement({ ...options.cluster, database }) });
      }
    } finally {
      await admin.close();
    }
    const cluster = options.cluster !== undefined;
    const settings = cluster ? { ...SETTINGS, ...CLUSTER_SETTINGS } : SETTINGS;
    return new ServerDriver(
      createClient({ url: options.url, database, ...auth, clickhouse_settings: settings }),
      { cluster },
    );
  }

  async exec(sql: string, params?: QueryParams): Promise<void> {
    await this.#client.command({
      query: sql,
      ...(params ? { query_params: params } : {}),
      clickhouse_settings: this.#settings,
    });
  }

  async insertJSONEachRow(table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
    assertTableName(table);
    if (rows.length === 0) return;
    await this.#client.insert({ table, values: [...rows], format: 'JSONEachRow' });
  }

  async query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]> {
    const result = await this.#client.query({
      query: sql,
      ...(params ? { query_params: params } : {}),
      format: 'JSONEachRow',
      clickhouse_settings: this.#settings,
    });
    return result.json<T>();
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}
