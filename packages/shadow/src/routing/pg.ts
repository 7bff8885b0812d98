// Explicit Postgres routing: wrap a pg Pool/Client, or anything with `query(sql, params)`
// (PGlite, the demo mall's default). In a tagged context, declared tables are renamed to
// their shadow tables, which are created on first use; untagged calls pass through.
import { currentShadow, runOutsideShadow } from '../context.js';
import type { Shadow } from '../shadow.js';
import {
  ensureShadowTableSql,
  isUndefinedTable,
  type RoutedStatement,
  routeStatement,
  statementText,
  withText,
} from './pg-route.js';
import { parseTableName, type ShadowedTable } from './sql.js';

export interface Queryable {
  query(...args: never[]): unknown;
}

export interface PgRoutingOptions {
  shadow: Shadow;
  /** Declared production tables; defaults to `shadow.tables`. */
  tables?: readonly string[];
}

type AnyQuery = (...args: unknown[]) => unknown;

/** Creates each shadow table once per wrapper; a failed or rolled-back creation is retried. */
class ShadowTables {
  private readonly ready = new Map<string, Promise<unknown>>();
  constructor(private readonly run: (sql: string) => Promise<unknown>) {}

  ensure(tables: ShadowedTable[]): Promise<unknown> {
    return Promise.all(
      tables.map((t) => {
        let p = this.ready.get(t.shadow);
        if (!p) {
          p = runOutsideShadow(() => this.run(ensureShadowTableSql(t)));
          p.catch(() => this.ready.delete(t.shadow));
          this.ready.set(t.shadow, p);
        }
        return p;
      }),
    );
  }

  forget(tables: ShadowedTable[]): void {
    for (const t of tables) this.ready.delete(t.shadow);
  }
}

function routedQuery(
  inner: AnyQuery,
  self: unknown,
  options: PgRoutingOptions,
  tables: ShadowTables,
): AnyQuery {
  const declared = (options.tables ?? options.shadow.tables).map(parseTableName);
  return (...args: unknown[]) => {
    const ctx = currentShadow();
    const text = statementText(args[0]);
    if (!ctx || text === undefined) return inner.apply(self, args);
    const last = args.at(-1);
    const callback =
      typeof last === 'function' ? (last as (e: unknown, r?: unknown) => void) : undefined;
    const run = async () => {
      const routed: RoutedStatement = routeStatement(options.shadow, ctx, declared, text);
      await tables.ensure(routed.shadowed);
      const rest = callback ? args.slice(1, -1) : args.slice(1);
      try {
        return await (inner.apply(self, [
          withText(args[0], routed.text),
          ...rest,
        ]) as Promise<unknown>);
      } catch (err) {
        if (isUndefinedTable(err)) tables.forget(routed.shadowed); // e.g. created in a rolled-back transaction
        throw err;
      }
    };
    const result = run();
    if (!callback) return result;
    result.then(
      (r) => callback(undefined, r),
      (e: unknown) => callback(e),
    );
    return undefined;
  };
}

/**
 * Wraps any `{ query(sql, params) }` client. Writes to non-shadow tables in a tagged
 * context are refused here too, so a client the prototype guard cannot reach (PGlite)
 * still fails closed when used through the wrapper.
 */
export function shadowQueryable<T extends Queryable>(client: T, options: PgRoutingOptions): T {
  const tables = new ShadowTables(
    (sql) => (client.query as AnyQuery).call(client, sql) as Promise<unknown>,
  );
  const query = routedQuery(client.query as AnyQuery, client, options, tables);
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'query') return query;
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

interface PoolLike extends Queryable {
  connect(): Promise<Queryable & { release(err?: unknown): void }>;
}

/**
 * Wraps a pg Pool (or Client). Clients checked out with `connect()` are wrapped too, so
 * transactions route the same way; shadow tables are created through the pool, on a
 * connection of their own, so a caller's transaction never holds the DDL.
 */
export function shadowPg<T extends Queryable>(poolOrClient: T, options: PgRoutingOptions): T {
  const run = (sql: string) =>
    (poolOrClient.query as AnyQuery).call(poolOrClient, sql) as Promise<unknown>;
  const tables = new ShadowTables(run);
  const query = routedQuery(poolOrClient.query as AnyQuery, poolOrClient, options, tables);
  const pool = poolOrClient as Queryable as PoolLike;
  const isPool = typeof pool.connect === 'function' && 'totalCount' in pool;
  const connect = async () => {
    const client = await pool.connect();
    const clientQuery = routedQuery(client.query as AnyQuery, client, options, tables);
    return new Proxy(client, {
      get(target, prop, receiver) {
        if (prop === 'query') return clientQuery;
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
  return new Proxy(poolOrClient, {
    get(target, prop, receiver) {
      if (prop === 'query') return query;
      if (prop === 'connect' && isPool) return connect;
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
