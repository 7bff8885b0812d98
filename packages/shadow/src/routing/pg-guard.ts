// Lowest-level Postgres integration: patches pg's Client.prototype.query, so every query
// from every pool and raw client passes through it. In a tagged context it routes declared
// tables (if any are given) and refuses any write left pointing at a non-shadow table.
import { AsyncResource } from 'node:async_hooks';
import { currentShadow } from '../context.js';
import type { Shadow } from '../shadow.js';
import {
  ensureShadowTableSql,
  isUndefinedTable,
  routeStatement,
  statementText,
  withText,
} from './pg-route.js';
import { parseTableName } from './sql.js';

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

export interface PgModule {
  Client: { prototype: object };
  Pool?: { prototype: object };
}

export interface InstrumentPgOptions {
  /** Route these tables to shadow tables; leave empty for a guard that only refuses. */
  tables?: readonly string[];
}

const PATCHED = Symbol.for('loadline.shadow.pg');

function refuse(args: unknown[], err: Error): unknown {
  const cb = args.at(-1);
  if (typeof cb === 'function') {
    process.nextTick(cb as (e: Error) => void, err);
    return undefined;
  }
  const submittable = args[0] as { submit?: unknown; emit?: (e: string, x: Error) => void };
  if (submittable && typeof submittable.submit === 'function') {
    process.nextTick(() => submittable.emit?.('error', err));
    return submittable;
  }
  return Promise.reject(err);
}

export function instrumentPg(
  pg: PgModule,
  shadow: Shadow,
  options: InstrumentPgOptions = {},
): void {
  const proto = pg.Client.prototype as Record<string | symbol, unknown>;
  if (proto[PATCHED]) return;
  const declared = (options.tables ?? []).map(parseTableName);
  const query = proto.query as AnyFn;
  const ensured = new Set<string>();

  proto.query = function shadowGuardedQuery(this: unknown, ...args: unknown[]) {
    const ctx = currentShadow();
    const text = statementText(args[0]);
    if (!ctx || text === undefined) return query.apply(this, args);
    let routed: ReturnType<typeof routeStatement>;
    try {
      routed = routeStatement(shadow, ctx, declared, text);
    } catch (err) {
      return refuse(args, err as Error);
    }
    for (const t of routed.shadowed) {
      if (ensured.has(t.shadow)) continue;
      ensured.add(t.shadow);
      // pg runs a client's queries in order, so queueing the DDL first needs no await.
      (query.call(this, ensureShadowTableSql(t)) as Promise<unknown>).catch(() =>
        ensured.delete(t.shadow),
      );
    }
    if (routed.text === text) return query.apply(this, args);
    const result = query.apply(this, [withText(args[0], routed.text), ...args.slice(1)]);
    if (result instanceof Promise) {
      result.catch((err: unknown) => {
        if (isUndefinedTable(err)) for (const t of routed.shadowed) ensured.delete(t.shadow);
      });
    }
    return result;
  };

  // pg-pool hands a freed client to the next waiter from inside `release()`, i.e. in the
  // releasing request's async context. Binding the waiter's callback keeps each query in
  // its own caller's context, so a shadow query never runs as production or vice versa.
  if (pg.Pool) {
    const poolProto = pg.Pool.prototype as Record<string, unknown>;
    const connect = poolProto.connect as AnyFn;
    poolProto.connect = function boundConnect(this: unknown, ...args: unknown[]) {
      if (typeof args[0] === 'function') args[0] = AsyncResource.bind(args[0] as AnyFn);
      return connect.apply(this, args);
    };
  }
  proto[PATCHED] = true;
}
