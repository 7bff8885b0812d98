// Edit a YAML document and write back as little text as possible, so comments, quoting,
// spacing and key order of everything the edit did not touch stay byte for byte:
//   1. only scalars changed: splice each new scalar over the old one's text;
//   2. otherwise: re-stringify only the top-level sections whose content changed;
//   3. otherwise (e.g. JSON input): the whole document, re-stringified.
// Every candidate is re-parsed and must hold exactly the edited data before it is used.

import { parseScenarioDocument } from '@loadline/scenario';
import {
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type LineCounter,
  type Node,
  Scalar,
  type ToStringOptions,
  Document as YamlDocument,
} from 'yaml';

export interface ScalarChange {
  node: Scalar;
  value: unknown;
}

/** What one edit did to the parsed document, besides mutating it. */
export interface EditRecord {
  /** scalars whose value changed in place (a splice can write them) */
  scalars: ScalarChange[];
  /** true once anything other than a scalar value changed */
  structural: boolean;
}

/**
 * The scenario parser's own YAML reading: linear in the text, and duplicate keys, nesting,
 * alias bombs and oversized text in `doc.errors` (the editor runs this on every keystroke).
 */
export function parseYaml(text: string): { doc: Document.Parsed; lines: LineCounter } {
  const { document, lines } = parseScenarioDocument(text);
  return { doc: document, lines };
}

/** Matches the flow-collection spacing (`{ a: 1 }` or `{a: 1}`) and list indent of the source. */
export function styleOf(source: string): ToStringOptions {
  const padded = source.match(/[[{] +[^\s\]}]/g)?.length ?? 0;
  const tight = source.match(/[[{][^\s\]}]/g)?.length ?? 0;
  const flushLists = /^( *)[^\s#-][^\n]*:[ \t]*\n\1- /m.test(source);
  return { flowCollectionPadding: padded >= tight, indentSeq: !flushLists, lineWidth: 0 };
}

/** The document's data as JSON; undefined past yaml's alias limit (it throws there). */
function dataOf(doc: Document): string | undefined {
  try {
    return JSON.stringify(doc.toJS({ maxAliasCount: 100 }) ?? null);
  } catch {
    return undefined;
  }
}

function holds(text: string, expected: string | undefined): boolean {
  const { doc } = parseYaml(text);
  return expected !== undefined && doc.errors.length === 0 && dataOf(doc) === expected;
}

function scalarText(value: unknown, type: Scalar['type']): string {
  const node = new Scalar(value);
  if (typeof value === 'string' && type) node.type = type;
  return new YamlDocument(node).toString({ lineWidth: 0 }).replace(/\n$/, '');
}

function splice(source: string, changes: ScalarChange[]): string | undefined {
  const ordered = [...changes].sort((a, b) => (b.node.range?.[0] ?? 0) - (a.node.range?.[0] ?? 0));
  let out = source;
  for (const { node, value } of ordered) {
    if (!node.range) return undefined;
    const [start, end] = node.range;
    out = out.slice(0, start) + scalarText(value, node.type) + out.slice(end);
  }
  return out;
}

/** A stretch of text and the node written there, from its first line to the next sibling's. */
interface Region {
  text: string;
  node: unknown;
  start: number;
  end: number;
}

const lineStart = (text: string, at: number): number => text.lastIndexOf('\n', at - 1) + 1;
const slice = (r: Region): string => r.text.slice(r.start, r.end);

/** A block collection's text before its first entry, and one region per entry. */
function split(r: Region): { head: string; keys: string[]; children: Region[] } | undefined {
  const node = r.node;
  if (!(isMap(node) || isSeq(node)) || node.flow || node.items.length === 0) return undefined;
  const starts: number[] = [];
  const keys: string[] = [];
  const values: unknown[] = [];
  for (const item of node.items) {
    const at = isPair(item) ? (item.key as Node | null)?.range?.[0] : (item as Node).range?.[0];
    if (at === undefined || at < r.start || at >= r.end) return undefined;
    starts.push(lineStart(r.text, at));
    keys.push(isPair(item) && isScalar(item.key) ? String(item.key.value) : '');
    values.push(isPair(item) ? item.value : item);
  }
  const children = starts.map((start, i) => ({
    text: r.text,
    node: values[i],
    start,
    end: starts[i + 1] ?? r.end,
  }));
  return { head: r.text.slice(r.start, starts[0]), keys, children };
}

const join = (parts: string[]): string =>
  parts.reduce(
    (out, part) => (out === '' || out.endsWith('\n') ? out + part : `${out}\n${part}`),
    '',
  );

/**
 * `after` (re-stringified), keeping the source text of each entry whose re-stringified form
 * did not change (`restated` is the unedited document re-stringified the same way).
 */
function merge(source: Region, restated: Region, after: Region, depth: number): string {
  if (slice(restated) === slice(after)) return slice(source);
  const s = split(source);
  const r = split(restated);
  const a = split(after);
  if (depth === 0 || !s || !r || !a || s.children.length !== r.children.length) return slice(after);
  const used = new Set<number>();
  const parts = [r.head === a.head ? s.head : a.head];
  a.children.forEach((child, i) => {
    const same = r.children.findIndex((c, j) => !used.has(j) && slice(c) === slice(child));
    const key = a.keys[i] ?? '';
    const match =
      same !== -1
        ? same
        : key !== ''
          ? r.keys.indexOf(key)
          : a.children.length === r.children.length
            ? i
            : -1;
    const old = r.children[match];
    const src = s.children[match];
    if (match === -1 || used.has(match) || !old || !src) {
      parts.push(slice(child));
      return;
    }
    used.add(match);
    parts.push(merge(src, old, child, depth - 1));
  });
  return join(parts);
}

function region(text: string): Region | undefined {
  const { doc } = parseYaml(text);
  if (doc.errors.length > 0) return undefined;
  return { text, node: doc.contents, start: 0, end: text.length };
}

function mergeSections(source: string, edited: string, style: ToStringOptions): string | undefined {
  const s = region(source);
  const r = region(parseYaml(source).doc.toString(style));
  const a = region(edited);
  return s && r && a ? merge(s, r, a, 4) : undefined;
}

/** The text of `doc` (parsed from `source`, then edited as `record` says). */
export function writeBack(source: string, doc: Document, record: EditRecord): string {
  if (!record.structural && record.scalars.length === 0) return source;
  const expected = dataOf(doc);
  if (!record.structural && record.scalars.length > 0) {
    const spliced = splice(source, record.scalars);
    if (spliced !== undefined && holds(spliced, expected)) return spliced;
  }
  const style = styleOf(source);
  const whole = doc.toString(style);
  const merged = mergeSections(source, whole, style);
  if (merged !== undefined && holds(merged, expected)) return merged;
  return whole;
}
