import { z } from 'zod';
import type { ClickHouseDriver } from './driver.js';
import { LEDGER_COLUMNS, LEDGER_ORDER_BY, LEDGER_TABLE, type Migration } from './ledger.js';

/**
 * The store's tables on a ClickHouse cluster, translated from the same numbered migrations
 * embedded and single-server mode apply, statement by statement:
 *   CREATE TABLE t ... ENGINE = XMergeTree(args) ...
 *     -> CREATE TABLE db.t_local ON CLUSTER ... ENGINE = ReplicatedXMergeTree(path, replica, args) ...
 *        CREATE TABLE db.t ON CLUSTER ... AS db.t_local ENGINE = Distributed(..., cityHash64(run_id))
 *   ALTER TABLE t <column commands> -> the same ALTER on t_local and on t, ON CLUSTER
 *   ALTER TABLE t <other commands>  -> on t_local only (a Distributed table has no parts)
 * Anything else is refused by name, so a migration the translation does not understand
 * fails the build's test instead of producing a wrong cluster schema.
 *
 * SQL-aware, not regex over the files: ClickHouse's own parser and formatter (through the
 * driver: chdb in the generator, the cluster's node in cluster mode) give each statement's
 * kind, table and ALTER commands (`EXPLAIN AST`) and its canonical text (`formatQuery`,
 * one clause per line), and the translation rearranges that canonical text. Needs
 * ClickHouse 23.10 or newer (formatQuery).
 */
export const ClusterOptions = z.object({
  /** the `<remote_servers>` cluster name; `{cluster}` reads it from the nodes' macros */
  cluster: z
    .string()
    .regex(/^(\{cluster\}|[A-Za-z_][A-Za-z0-9_-]{0,62})$/, 'a cluster name or {cluster}')
    .default('{cluster}'),
  database: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/)
    .default('loadline'),
  /**
   * Replicated*MergeTree local tables (Keeper needed). false: plain *MergeTree locals, for
   * a cluster of unreplicated shards, or a test engine without Keeper.
   */
  replicated: z.boolean().default(true),
  /**
   * `ON CLUSTER` DDL (Keeper needed). false: each statement runs on the node it is sent
   * to only, so it must be sent to every node (or the "cluster" is one node).
   */
  onCluster: z.boolean().default(true),
});
export type ClusterOptions = z.input<typeof ClusterOptions>;
/** Cluster options with their defaults filled in. */
export type ClusterTarget = z.output<typeof ClusterOptions>;
type Resolved = ClusterTarget;

export class ClusterSchemaError extends Error {
  override name = 'ClusterSchemaError';
}

/** Suffix of the per-node tables under the Distributed ones. */
export const LOCAL_SUFFIX = '_local';

/** The column every table is sharded by: one run's rows, rollups and markers on one shard. */
const SHARDING_KEY = 'cityHash64(run_id)';

/** ALTER commands that change columns: the Distributed table must follow them. */
const COLUMN_COMMANDS = new Set([
  'ADD_COLUMN',
  'DROP_COLUMN',
  'MODIFY_COLUMN',
  'RENAME_COLUMN',
  'COMMENT_COLUMN',
]);

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Parsed {
  kind: 'create' | 'alter';
  table: string;
  /** ALTER command types, e.g. ADD_COLUMN */
  commands: string[];
  /** formatQuery's text: one clause per line */
  canonical: string;
}

async function parse(driver: ClickHouseDriver, statement: string, where: string): Promise<Parsed> {
  let ast: string[];
  let canonical: string;
  try {
    const rows = await driver.query<{ explain: string }>(`EXPLAIN AST ${statement}`);
    ast = rows.map((r) => r.explain);
    const [formatted] = await driver.query<{ sql: string }>(
      'SELECT formatQuery({s:String}) AS sql',
      {
        s: statement,
      },
    );
    canonical = formatted?.sql ?? '';
  } catch (err) {
    throw new ClusterSchemaError(
      `${where}: ClickHouse cannot parse it: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const head = /^(CreateQuery|AlterQuery)\s+(.*?)\s+\(children \d+\)$/.exec(ast[0] ?? '');
  const names = head?.[2]?.split(/\s+/) ?? [];
  if (!head || names.length !== 1 || !PLAIN_NAME.test(names[0] as string)) {
    throw new ClusterSchemaError(
      `${where}: only CREATE TABLE and ALTER TABLE on a plain, unqualified table name can be translated for a cluster, got: ${ast[0] ?? statement}`,
    );
  }
  const table = names[0] as string;
  if (head[1] === 'CreateQuery') {
    if (!ast.some((l) => l.startsWith(' Storage definition'))) {
      throw new ClusterSchemaError(
        `${where}: CREATE without an ENGINE (a view?) cannot be translated`,
      );
    }
    return { kind: 'create', table, commands: [], canonical };
  }
  const commands = ast
    .filter((l) => l.startsWith('  AlterCommand '))
    .map((l) => l.trim().split(/\s+/)[1] as string);
  return { kind: 'alter', table, commands, canonical };
}

const quoted = (name: string) => `\`${name}\``;
const literal = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const onCluster = (o: Resolved) => (o.onCluster ? ` ON CLUSTER ${literal(o.cluster)}` : '');
const qualified = (o: Resolved, table: string) => `${quoted(o.database)}.${quoted(table)}`;

/** `ENGINE = ReplacingMergeTree(v)` -> its name and argument text (`v`, or '' when none). */
function engineOf(line: string, where: string): { name: string; args: string } {
  const match = /^ENGINE = ([A-Za-z]+)(?:\((.*)\))?$/.exec(line);
  if (!match) throw new ClusterSchemaError(`${where}: cannot read the engine of ${line}`);
  const name = match[1] as string;
  if (!name.endsWith('MergeTree') || name.startsWith('Replicated')) {
    throw new ClusterSchemaError(
      `${where}: engine ${name} has no Replicated variant here; only non-replicated *MergeTree tables are translated`,
    );
  }
  return { name, args: match[2] ?? '' };
}

/** The local table's engine: Replicated, with the Keeper path of its shard. */
function localEngine(
  o: Resolved,
  engine: { name: string; args: string },
  keeper: string,
  replica: string,
): string {
  if (!o.replicated) return engine.args ? `${engine.name}(${engine.args})` : engine.name;
  const args = [literal(keeper), literal(replica), ...(engine.args ? [engine.args] : [])];
  return `Replicated${engine.name}(${args.join(', ')})`;
}

/** CREATE TABLE t -> t_local (Replicated) and t (Distributed over it). */
function translateCreate(p: Parsed, o: Resolved, where: string): string[] {
  const lines = p.canonical.split('\n');
  const engineAt = lines.findIndex((l) => l.startsWith('ENGINE = '));
  if (lines[1] !== '(' || engineAt < 0 || lines[engineAt - 1] !== ')') {
    throw new ClusterSchemaError(`${where}: unexpected canonical CREATE:\n${p.canonical}`);
  }
  const columns = lines.slice(1, engineAt).join('\n');
  if (!lines.some((l) => /^ {4}`run_id` /.test(l))) {
    throw new ClusterSchemaError(`${where}: table ${p.table} has no run_id column to shard by`);
  }
  const engine = engineOf(lines[engineAt] as string, where);
  const local = `${p.table}${LOCAL_SUFFIX}`;
  const keeper = '/clickhouse/tables/{shard}/{database}/{table}';
  return [
    [
      `CREATE TABLE IF NOT EXISTS ${qualified(o, local)}${onCluster(o)}`,
      columns,
      `ENGINE = ${localEngine(o, engine, keeper, '{replica}')}`,
      ...lines.slice(engineAt + 1),
    ].join('\n'),
    [
      `CREATE TABLE IF NOT EXISTS ${qualified(o, p.table)}${onCluster(o)}`,
      `AS ${qualified(o, local)}`,
      `ENGINE = Distributed(${literal(o.cluster)}, ${literal(o.database)}, ${literal(local)}, ${SHARDING_KEY})`,
    ].join('\n'),
  ];
}

/** ALTER TABLE t: column changes on both tables, anything else on the local one only. */
function translateAlter(p: Parsed, o: Resolved, where: string): string[] {
  const columnCommands = p.commands.filter((c) => COLUMN_COMMANDS.has(c)).length;
  if (columnCommands > 0 && columnCommands < p.commands.length) {
    throw new ClusterSchemaError(
      `${where}: an ALTER mixing column changes with ${p.commands.join(', ')}: split it in two statements (column changes go to the Distributed table too, the rest does not)`,
    );
  }
  const commands = p.canonical.split('\n').slice(1).join('\n');
  const local = `ALTER TABLE ${qualified(o, `${p.table}${LOCAL_SUFFIX}`)}${onCluster(o)}\n${commands}`;
  if (columnCommands === 0) return [local];
  return [local, `ALTER TABLE ${qualified(o, p.table)}${onCluster(o)}\n${commands}`];
}

/** One migration's statements for the cluster, in order. */
export async function translateMigration(
  driver: ClickHouseDriver,
  migration: Migration,
  options: ClusterOptions = {},
): Promise<string[]> {
  const o = ClusterOptions.parse(options);
  const out: string[] = [];
  for (const [i, statement] of migration.statements.entries()) {
    const where = `${migration.name} statement ${i + 1}`;
    const parsed = await parse(driver, statement, where);
    out.push(
      ...(parsed.kind === 'create'
        ? translateCreate(parsed, o, where)
        : translateAlter(parsed, o, where)),
    );
  }
  return out;
}

/** Creates the database on every node. */
export function clusterDatabaseStatement(options: ClusterOptions = {}): string {
  const o = ClusterOptions.parse(options);
  return `CREATE DATABASE IF NOT EXISTS ${quoted(o.database)}${onCluster(o)}`;
}

/**
 * The migration ledger for a cluster (the columns of the single-node one): on every node,
 * replicated to all of them under one Keeper path (no {shard} in it, hence the
 * {shard}-{replica} replica name), so whichever node control's migrate() talks to reads
 * the same ledger. Not distributed: it is tiny.
 */
export function clusterLedgerStatement(options: ClusterOptions = {}): string {
  const o = ClusterOptions.parse(options);
  const engine = localEngine(
    o,
    { name: 'ReplacingMergeTree', args: '' },
    '/clickhouse/tables/all/{database}/{table}',
    '{shard}-{replica}',
  );
  return [
    `CREATE TABLE IF NOT EXISTS ${qualified(o, LEDGER_TABLE)}${onCluster(o)}`,
    LEDGER_COLUMNS,
    `ENGINE = ${engine}`,
    LEDGER_ORDER_BY,
  ].join('\n');
}
