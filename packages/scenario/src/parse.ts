import {
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  YAMLParseError,
} from 'yaml';
import type { z } from 'zod';
import { checkDocument } from './document-limits.js';
import { MAX_ALIAS_COUNT, MAX_REPORTED_PROBLEMS, MAX_SCENARIO_BYTES } from './limits.js';
import { formatPath } from './path.js';
import { Scenario } from './schema.js';

export { formatPath } from './path.js';

/** One problem in a scenario file: where (path and line:column) and why. */
export interface ScenarioError {
  /** e.g. flows[1].steps[0].request.path; empty for the whole document */
  path: string;
  message: string;
  line: number;
  column: number;
}

export type ParseResult =
  | { ok: true; scenario: Scenario; warnings: ScenarioError[] }
  | {
      ok: false;
      /**
       * The first MAX_REPORTED_PROBLEMS problems in document order; when there were more, a
       * last entry says how many were left out.
       */
      errors: ScenarioError[];
      /** Problems found in all, including those left out. */
      problems: number;
    };

/** Human form: `checkout.yaml:12:7 flows[0].steps[1].request.path: ...` */
export function formatError(error: ScenarioError, file = '<scenario>'): string {
  return `${file}:${error.line}:${error.column} ${error.path ? `${error.path}: ` : ''}${error.message}`;
}

type Located = { range?: [number, number, number] | null };

/**
 * Finds nodes by zod paths. A mapping's keys are indexed the first time a path goes
 * through it, so locating every one of n problems costs O(n), not O(n × keys).
 */
class Locator {
  private readonly keyIndex = new WeakMap<object, Map<string, Pair>>();

  constructor(private readonly root: unknown) {}

  private pairOf(map: { items: unknown[] }, key: string): Pair | undefined {
    let index = this.keyIndex.get(map);
    if (!index) {
      index = new Map();
      for (const pair of map.items) {
        if (isPair(pair) && isScalar(pair.key)) {
          const name = String(pair.key.value);
          if (!index.has(name)) index.set(name, pair);
        }
      }
      this.keyIndex.set(map, index);
    }
    return index.get(key);
  }

  /**
   * The node a zod path points at; when the path goes further than the document (a
   * missing key), the deepest node that exists, so the error lands on its parent.
   */
  locate(path: ReadonlyArray<PropertyKey>, unknownKey?: string): Located | undefined {
    let node: unknown = this.root;
    let found: Located | undefined = (this.root as Located) ?? undefined;
    for (const key of path) {
      if (isMap(node)) {
        const pair = this.pairOf(node, String(key));
        if (!pair) break;
        node = pair.value;
        found = (pair.value as Located) ?? (pair.key as Located);
      } else if (isSeq(node) && typeof key === 'number') {
        node = node.items[key];
        if (!node) break;
        found = node as Located;
      } else {
        break;
      }
    }
    if (unknownKey !== undefined && isMap(node)) {
      const pair = this.pairOf(node, unknownKey);
      if (pair) return pair.key as Located;
    }
    return found;
  }
}

function position(lines: LineCounter, node: Located | undefined): { line: number; column: number } {
  const offset = node?.range?.[0] ?? 0;
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

/** A key echoed in a message: a hostile document's keys can be a megabyte long. */
const shortKey = (key: string) => (key.length > 80 ? `${key.slice(0, 80)}…` : key);

function issuesToErrors(
  issues: readonly z.core.$ZodIssue[],
  locator: Locator,
  lines: LineCounter,
  errors: ScenarioError[] = [],
): ScenarioError[] {
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        errors.push({
          path: formatPath([...issue.path, key]),
          message: `unknown key "${shortKey(key)}"`,
          ...position(lines, locator.locate(issue.path, key)),
        });
      }
      continue;
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the alternative that got furthest (fewest issues) instead of "invalid input".
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      issuesToErrors(
        best.map((i) => ({ ...i, path: [...issue.path, ...i.path] })),
        locator,
        lines,
        errors,
      );
      continue;
    }
    const missing = /^Invalid input: expected (\w+), received undefined$/.exec(issue.message);
    errors.push({
      path: formatPath(issue.path),
      message: missing ? `is required (${missing[1]})` : issue.message,
      ...position(lines, locator.locate(issue.path)),
    });
  }
  return errors;
}

/** Document order, then at most MAX_REPORTED_PROBLEMS and a line saying how many more. */
function failure(errors: ScenarioError[]): ParseResult {
  const sorted = [...errors].sort((a, b) => a.line - b.line || a.column - b.column);
  if (sorted.length <= MAX_REPORTED_PROBLEMS) {
    return { ok: false, errors: sorted, problems: sorted.length };
  }
  const first = sorted[MAX_REPORTED_PROBLEMS] as ScenarioError;
  const more = sorted.length - MAX_REPORTED_PROBLEMS;
  return {
    ok: false,
    errors: [
      ...sorted.slice(0, MAX_REPORTED_PROBLEMS),
      {
        path: '',
        message: `…and ${more.toLocaleString('en-US')} more problem${more === 1 ? '' : 's'}`,
        line: first.line,
        column: first.column,
      },
    ],
    problems: sorted.length,
  };
}

/** UTF-8 length without encoding the text (this package also runs in the browser). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function wholeDocument(message: string): ParseResult {
  return failure([{ path: '', message, line: 1, column: 1 }]);
}

/**
 * Parses scenario text (YAML or JSON) into a `yaml` Document in time linear in the text, and
 * adds to `document.errors` what the package does not check (or checks in quadratic time):
 * size (MAX_SCENARIO_BYTES), unique keys, nesting, alias count and expansion. `problems` are
 * those errors with path and line:column. The console edits scenarios through this too.
 */
export function parseScenarioDocument(text: string): {
  document: Document.Parsed;
  lines: LineCounter;
  problems: ScenarioError[];
} {
  const lines = new LineCounter();
  if (text.length > MAX_SCENARIO_BYTES || utf8Length(text) > MAX_SCENARIO_BYTES) {
    const message = `a scenario is at most ${MAX_SCENARIO_BYTES / (1024 * 1024)} MB; this one is ${(utf8Length(text) / (1024 * 1024)).toFixed(1)} MB`;
    const document = parseDocument('', { lineCounter: lines });
    document.errors.push(new YAMLParseError([0, 0], 'RESOURCE_EXHAUSTION', message));
    return { document, lines, problems: [{ path: '', message, line: 1, column: 1 }] };
  }
  // Keys are checked for uniqueness by checkDocument, in linear time.
  const document = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: false,
  });
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  const problems: ScenarioError[] = document.errors.map((error) => ({
    path: '',
    message: error.message.split('\n')[0] ?? error.message,
    ...at(error.pos[0]),
  }));
  if (problems.length > 0) return { document, lines, problems };
  for (const problem of checkDocument(document.contents)) {
    const { offset, path, message, code } = problem;
    document.errors.push(
      new YAMLParseError([offset, offset + 1], code, path ? `${path}: ${message}` : message),
    );
    problems.push({ path, message, ...at(offset) });
  }
  return { document, lines, problems };
}

/** A problem found outside the schema (say, where a feeder's file is), at its path. */
export interface ScenarioProblem {
  path: ReadonlyArray<PropertyKey>;
  message: string;
}

export interface ParseOptions {
  /**
   * Checks of a schema-valid scenario that need more than its text (the filesystem, for
   * one); their problems are reported like the schema's, with line:column.
   */
  check?: (scenario: Scenario) => ScenarioProblem[];
}

/**
 * Parses a scenario from YAML or JSON text. Every problem is reported at once with its
 * path and line:column (up to MAX_REPORTED_PROBLEMS); nothing is returned unless the whole
 * scenario is valid. Time and memory are linear in the text, whatever it holds: text over
 * MAX_SCENARIO_BYTES and aliases expanding beyond MAX_EXPANDED_CHARS are refused.
 */
export function parseScenario(text: string, options: ParseOptions = {}): ParseResult {
  const { document, lines, problems } = parseScenarioDocument(text);
  if (problems.length > 0) return failure(problems);
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // The yaml package's own alias limit (uses of one anchor, weighted by its aliases).
    return wholeDocument(`${(error as Error).message} (at most ${MAX_ALIAS_COUNT} alias uses)`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return wholeDocument('a scenario is a mapping (name:, target:, load:, flows:, ...)');
  }
  const result = Scenario.safeParse(data);
  if (!result.success) {
    return failure(
      issuesToErrors(result.error.issues, new Locator(document.contents as Node), lines),
    );
  }
  const checked = options.check?.(result.data) ?? [];
  if (checked.length > 0) {
    const locator = new Locator(document.contents as Node);
    return failure(
      checked.map((problem) => ({
        path: formatPath(problem.path),
        message: problem.message,
        ...position(lines, locator.locate(problem.path)),
      })),
    );
  }
  const warnings = document.warnings.map((warning) => {
    const { line, col } = lines.linePos(warning.pos[0]);
    return {
      path: '',
      message: warning.message.split('\n')[0] ?? warning.message,
      line,
      column: col,
    };
  });
  return { ok: true, scenario: result.data, warnings };
}
