// Token-based table rewriter for shadow routing, and the write detector behind the
// Postgres leak guard. It is deliberately NOT a SQL parser: it finds identifier chains in
// the positions where a table name can appear (after FROM, JOIN, INTO, UPDATE, TABLE,
// TRUNCATE, USING, comma lists of those, FOR UPDATE OF) and renames the ones the service
// declared. Qualified column references (`orders.id`, `shop.orders.id`, `orders.*`) to a
// renamed table are renamed too. README.md lists what it does not handle.
import { lex, type Token } from './sql-lexer.js';

export const SHADOW_TABLE_PREFIX = 'shadow_';

/** A declared production table. Names follow SQL rules: unquoted folds to lower case. */
export interface TableName {
  schema: string | undefined;
  name: string;
}

export interface ShadowedTable {
  /** As written in the statement, e.g. `shop.orders` or `"Orders"`. */
  production: string;
  /** The rewritten reference, e.g. `shop.shadow_orders`. */
  shadow: string;
}

export interface SqlAnalysis {
  sql: string;
  /** Declared tables the statement referenced, now pointing at shadow tables. */
  shadowed: ShadowedTable[];
  /** Tables the statement writes (INSERT/UPDATE/DELETE/TRUNCATE/MERGE/COPY FROM/DDL), after rewriting. */
  writes: string[];
  /** The subset of `writes` that is not a shadow table. */
  productionWrites: string[];
}

/** Parses `orders`, `shop.orders`, `"Shop"."Orders"`. */
export function parseTableName(spec: string): TableName {
  const parts = lex(spec.trim()).filter((t) => t.kind === 'word' || t.kind === 'qident');
  const [a, b] = parts;
  if (!a || parts.length > 2) throw new TypeError(`not a table name: "${spec}"`);
  return b ? { schema: a.value, name: b.value } : { schema: undefined, name: a.value };
}

interface Element {
  token: Token;
  index: number;
}

interface Chain {
  elements: Element[];
  star: boolean;
  /** Index of the first significant token after the chain. */
  next: number;
}

/** Words that can follow a table-introducing keyword without being the table. */
const PASS_THROUGH = new Set(['only', 'if', 'not', 'exists', 'lateral', 'table']);
/** Keywords that end a FROM / TRUNCATE comma list. */
const LIST_END = new Set([
  'where',
  'group',
  'order',
  'having',
  'limit',
  'offset',
  'window',
  'union',
  'intersect',
  'except',
  'returning',
  'set',
  'values',
  'select',
  'fetch',
  'for',
  'restart',
  'continue',
  'cascade',
  'restrict',
]);
const DDL_WRITE = new Set(['truncate', 'alter', 'drop', 'create', 'temp', 'temporary', 'unlogged']);

interface Position {
  write: boolean;
  /** Keyword that opened it: FROM/JOIN/USING may be followed by a function call instead. */
  keyword: string;
}

function isName(t: Token | undefined): boolean {
  return t !== undefined && (t.kind === 'word' || t.kind === 'qident');
}

function render(e: Element): string {
  return e.token.text;
}

function renamed(e: Element): string {
  if (e.token.kind === 'qident') {
    return `"${SHADOW_TABLE_PREFIX}${e.token.value.replaceAll('"', '""')}"`;
  }
  return `${SHADOW_TABLE_PREFIX}${e.token.text}`;
}

export function analyzeSql(sql: string, tables: readonly TableName[]): SqlAnalysis {
  const tokens = lex(sql);
  const sig = tokens.map((t, i) => ({ t, i })).filter(({ t }) => t.kind !== 'skip');
  const replace = new Map<number, string>();
  const shadowed: ShadowedTable[] = [];
  const writes: string[] = [];
  const renamedRefs: TableName[] = [];
  const qualifiedRefs: Chain[] = [];

  const chainAt = (s: number): Chain => {
    const elements: Element[] = [{ token: sig[s]!.t, index: sig[s]!.i }];
    let k = s + 1;
    let star = false;
    while (sig[k]?.t.kind === 'dot') {
      const after = sig[k + 1];
      if (isName(after?.t)) elements.push({ token: after!.t, index: after!.i });
      else if (after?.t.kind === 'star') star = true;
      else break;
      k += 2;
      if (star) break;
    }
    return { elements, star, next: k };
  };

  const declared = (schema: string | undefined, name: string): boolean =>
    tables.some(
      (t) => t.name === name && (schema === undefined || (t.schema ?? 'public') === schema),
    );

  let position: Position | undefined;
  // Per parenthesis depth: is a comma list of tables open, and do its entries write?
  const lists: Array<Position | undefined> = [undefined];
  let pendingCopy: number | undefined; // writes index of a COPY target, until TO/FROM decides
  let prev = '';
  let prev2 = '';

  for (let s = 0; s < sig.length; s++) {
    const { t } = sig[s]!;
    const depth = lists.length - 1;
    if (t.kind === 'semi') {
      position = undefined;
      lists.length = 1;
      lists[0] = undefined;
      prev = prev2 = '';
      continue;
    }
    if (t.kind === 'lparen') {
      position = undefined;
      lists.push(undefined);
      prev2 = prev;
      prev = '(';
      continue;
    }
    if (t.kind === 'rparen') {
      if (lists.length > 1) lists.pop();
      prev2 = prev;
      prev = ')';
      continue;
    }
    if (t.kind === 'comma') {
      if (lists[depth]) position = lists[depth];
      prev2 = prev;
      prev = ',';
      continue;
    }
    if (!isName(t)) {
      position = undefined; // `substring(x FROM 1)`: a non-name ends the table position
      prev2 = prev;
      prev = t.text;
      continue;
    }
    const word = t.kind === 'word' ? t.value : '';
    if (position && word && PASS_THROUGH.has(word)) {
      prev2 = prev;
      prev = word;
      continue;
    }
    if (position) {
      const chain = chainAt(s);
      const opensCall = sig[chain.next]?.t.kind === 'lparen';
      // `FROM generate_series(…)` is a call; `INSERT INTO t (cols)` / `COPY t (cols)` is not.
      const callInsteadOfTable = opensCall && ['from', 'join', 'using'].includes(position.keyword);
      if (!chain.star && chain.elements.length <= 3 && !callInsteadOfTable && word !== 'set') {
        const last = chain.elements.at(-1)!;
        const schemaEl = chain.elements.length >= 2 ? chain.elements.at(-2) : undefined;
        const name = last.token.value;
        const schema = schemaEl?.token.value;
        let written = chain.elements.map(render).join('.');
        if (declared(schema, name)) {
          replace.set(last.index, renamed(last));
          const shadowText = chain.elements
            .map((e) => (e === last ? renamed(e) : render(e)))
            .join('.');
          shadowed.push({ production: written, shadow: shadowText });
          renamedRefs.push({ schema, name });
          written = shadowText;
        }
        if (position.write) writes.push(written);
        if (position.keyword === 'copy') pendingCopy = writes.length - 1;
      }
      position = undefined;
      s = chain.next - 1;
      prev2 = prev;
      prev = 'table-ref';
      continue;
    }
    if (word) {
      if (LIST_END.has(word)) lists[depth] = undefined;
      const opened = opens(word, prev, prev2);
      if (opened) {
        position = opened;
        if (['from', 'truncate', 'of'].includes(word)) lists[depth] = opened;
      }
      if (pendingCopy !== undefined && (word === 'to' || word === 'from')) {
        if (word === 'to') writes.splice(pendingCopy, 1);
        pendingCopy = undefined;
      }
      prev2 = prev;
      prev = word;
      continue;
    }
    // A quoted name (or unquoted non-keyword) outside a table position: maybe a qualifier.
    const chain = chainAt(s);
    if (chain.elements.length >= 2 || chain.star) qualifiedRefs.push(chain);
    s = chain.next - 1;
    prev2 = prev;
    prev = 'name';
  }

  renameQualifiers(qualifiedRefs, renamedRefs, replace);
  // Words outside table positions were skipped above only when they are keywords; plain
  // unquoted names are collected by a second scan so `orders.id` is found too.
  for (let s = 0; s < sig.length; s++) {
    const { t } = sig[s]!;
    if (t.kind !== 'word' || sig[s + 1]?.t.kind !== 'dot') continue;
    if (s > 0 && sig[s - 1]!.t.kind === 'dot') continue;
    const chain = chainAt(s);
    if (chain.elements.length >= 2 || chain.star) {
      renameQualifiers([chain], renamedRefs, replace);
    }
    s = chain.next - 1;
  }

  const out = tokens.map((tok, i) => replace.get(i) ?? tok.text).join('');
  const productionWrites = writes.filter((w) => !isShadowName(w));
  return { sql: out, shadowed, writes, productionWrites };
}

function opens(word: string, prev: string, prev2: string): Position | undefined {
  switch (word) {
    case 'from':
      return { write: prev === 'delete', keyword: 'from' };
    case 'join':
      return { write: false, keyword: 'join' };
    case 'using':
      return { write: false, keyword: 'using' };
    case 'into':
      // INSERT INTO, MERGE INTO, SELECT … INTO new_table: all create or change rows.
      return { write: true, keyword: 'into' };
    case 'update':
      // Not FOR [NO KEY] UPDATE, ON CONFLICT DO UPDATE.
      if (prev === 'for' || prev === 'key' || prev === 'do') return undefined;
      return { write: true, keyword: 'update' };
    case 'table':
      if (prev === 'lock' || prev === '' || prev === '(') return { write: false, keyword: 'table' };
      return { write: DDL_WRITE.has(prev) || DDL_WRITE.has(prev2), keyword: 'table' };
    case 'truncate':
      return { write: true, keyword: 'truncate' };
    case 'copy':
      return { write: true, keyword: 'copy' };
    case 'of':
      return prev === 'update' || prev === 'share' ? { write: false, keyword: 'of' } : undefined;
    default:
      return undefined;
  }
}

/** Renames the table part of `orders.id` / `shop.orders.id` / `orders.*` when that table was shadowed. */
function renameQualifiers(chains: Chain[], refs: TableName[], replace: Map<number, string>): void {
  for (const chain of chains) {
    const qualifier = chain.star ? chain.elements : chain.elements.slice(0, -1);
    const tableEl = qualifier.at(-1);
    if (!tableEl || qualifier.length > 2 || replace.has(tableEl.index)) continue;
    const schema = qualifier.length === 2 ? qualifier[0]!.token.value : undefined;
    const hit = refs.some(
      (r) => r.name === tableEl.token.value && (schema === undefined || r.schema === schema),
    );
    if (hit) replace.set(tableEl.index, renamed(tableEl));
  }
}

function isShadowName(written: string): boolean {
  const parts = lex(written).filter((t) => t.kind === 'word' || t.kind === 'qident');
  return parts.at(-1)?.value.startsWith(SHADOW_TABLE_PREFIX) ?? false;
}
