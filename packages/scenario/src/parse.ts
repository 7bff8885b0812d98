import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { Scenario } from './schema.js';

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
  | { ok: false; errors: ScenarioError[] };

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(String(key)))
      out += out === '' ? String(key) : `.${String(key)}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** Human form: `checkout.yaml:12:7 flows[0].steps[1].request.path: ...` */
export function formatError(error: ScenarioError, file = '<scenario>'): string {
  return `${file}:${error.line}:${error.column} ${error.path ? `${error.path}: ` : ''}${error.message}`;
}

type Located = { range?: [number, number, number] | null };

/**
 * The node a zod path points at; when the path goes further than the document (a
 * missing key), the deepest node that exists, so the error lands on its parent.
 */
function locate(
  root: unknown,
  path: ReadonlyArray<PropertyKey>,
  unknownKey?: string,
): Located | undefined {
  let node: unknown = root;
  let found: Located | undefined = (root as Located) ?? undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key),
      );
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
    const pair = node.items.find(
      (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === unknownKey,
    );
    if (pair) return pair.key as Located;
  }
  return found;
}

function position(lines: LineCounter, node: Located | undefined): { line: number; column: number } {
  const offset = node?.range?.[0] ?? 0;
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

function issuesToErrors(
  issues: readonly z.core.$ZodIssue[],
  root: unknown,
  lines: LineCounter,
): ScenarioError[] {
  const errors: ScenarioError[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        errors.push({
          path: formatPath([...issue.path, key]),
          message: `unknown key "${key}"`,
          ...position(lines, locate(root, issue.path, key)),
        });
      }
      continue;
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the alternative that got furthest (fewest issues) instead of "invalid input".
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      errors.push(
        ...issuesToErrors(
          best.map((i) => ({ ...i, path: [...issue.path, ...i.path] })),
          root,
          lines,
        ),
      );
      continue;
    }
    const missing = /^Invalid input: expected (\w+), received undefined$/.exec(issue.message);
    errors.push({
      path: formatPath(issue.path),
      message: missing ? `is required (${missing[1]})` : issue.message,
      ...position(lines, locate(root, issue.path)),
    });
  }
  return errors.sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * Parses a scenario from YAML or JSON text. Every problem is reported at once with its
 * path and line:column; nothing is returned unless the whole scenario is valid.
 */
export function parseScenario(text: string): ParseResult {
  const lines = new LineCounter();
  const document = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
  });
  if (document.errors.length > 0) {
    return {
      ok: false,
      errors: document.errors.map((error) => {
        const { line, col } = lines.linePos(error.pos[0]);
        return {
          path: '',
          message: error.message.split('\n')[0] ?? error.message,
          line,
          column: col,
        };
      }),
    };
  }
  const data = document.toJS({ maxAliasCount: 100 });
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return {
      ok: false,
      errors: [
        {
          path: '',
          message: 'a scenario is a mapping (name:, target:, load:, flows:, ...)',
          line: 1,
          column: 1,
        },
      ],
    };
  }
  const result = Scenario.safeParse(data);
  if (!result.success) {
    return {
      ok: false,
      errors: issuesToErrors(result.error.issues, document.contents as Node, lines),
    };
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
