// What both Postgres integrations (the wrappers and the prototype patch) do with a
// statement in a tagged context: rename declared tables, list the shadow tables to
// create, and refuse any remaining write to a non-shadow table.
import type { ShadowContext } from '../context.js';
import type { Shadow } from '../shadow.js';
import { analyzeSql, type ShadowedTable, type TableName } from './sql.js';

export interface RoutedStatement {
  text: string;
  shadowed: ShadowedTable[];
}

/** Throws ShadowLeakError (and reports it) for a write that would reach production. */
export function routeStatement(
  shadow: Shadow,
  ctx: ShadowContext,
  tables: readonly TableName[],
  text: string,
): RoutedStatement {
  const analysis = analyzeSql(text, tables);
  const target = analysis.productionWrites[0];
  if (target !== undefined) {
    // The verb and table only: statement text can carry literal values (emails, hashes).
    const verb =
      /^\s*(?:with\b[\s\S]*?\)\s*)?([a-z]+)/i.exec(analysis.sql)?.[1]?.toUpperCase() ?? 'write';
    throw shadow.leak(ctx, 'postgres', target, `refused: ${verb} on production table ${target}`);
  }
  return { text: analysis.sql, shadowed: analysis.shadowed };
}

/**
 * Creates the shadow table with the production table's columns, defaults, constraints and
 * indexes. The PL/pgSQL block runs in a subtransaction, so losing a race with another
 * process (duplicate_table, or duplicate_object / unique_violation on the table's row type
 * in pg_type) neither fails nor aborts an enclosing transaction.
 */
export function ensureShadowTableSql(t: ShadowedTable): string {
  return `DO $loadline_shadow$ BEGIN
  CREATE TABLE IF NOT EXISTS ${t.shadow} (LIKE ${t.production} INCLUDING ALL);
EXCEPTION WHEN duplicate_table OR duplicate_object OR unique_violation THEN NULL;
END $loadline_shadow$`;
}

/** pg and PGlite both report SQLSTATE as `code`. */
export function isUndefinedTable(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '42P01';
}

/** Pulls the SQL text out of `query(text)` / `query({ text })` argument shapes. */
export function statementText(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  const text = (arg as { text?: unknown } | null)?.text;
  return typeof text === 'string' ? text : undefined;
}

export function withText<T>(arg: T, text: string): T {
  if (typeof arg === 'string') return text as T;
  // Submittables (pg Query, Cursor, QueryStream) must keep their prototype: edit in place.
  if (typeof (arg as { submit?: unknown }).submit === 'function') {
    (arg as { text: string }).text = text;
    return arg;
  }
  return { ...(arg as object), text } as T;
}
