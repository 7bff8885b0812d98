import { checkYamlDocument, MAX_EXPANDED_CHARS } from '@loadline/scenario';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';

/** One problem in an input file, located for a human: `forecast.yaml:3:12 utilisation: …`. */
export interface InputProblem {
  file: string;
  line: number;
  column: number;
  /** e.g. `services.cart.ramp[2].qps`; empty for the whole document. */
  path: string;
  message: string;
}

export type InputResult<T> = { ok: true; value: T } | { ok: false; problems: InputProblem[] };

export function formatInputProblem(p: InputProblem): string {
  return `${p.file}:${p.line}:${p.column} ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

type Ranged = { range?: [number, number, number] | null };

/**
 * Parses YAML or JSON (JSON is YAML 1.2) into `schema`, reporting every problem at once with
 * its line:column, so a forecast or a hand-edited model file can be fixed in one pass.
 */
export function parseInput<S extends z.ZodType>(
  text: string,
  schema: S,
  file: string,
): InputResult<z.infer<S>> {
  const lines = new LineCounter();
  // Keys are checked unique by checkYamlDocument, in linear time (yaml's check is quadratic).
  const document = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: false,
  });
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return { file, line, column: col };
  };
  if (document.errors.length > 0) {
    const problems = document.errors.map((e) => ({
      ...at(e.pos[0]),
      path: '',
      message: e.message.split('\n')[0] ?? e.message,
    }));
    return { ok: false, problems };
  }
  // Aliases may not expand a file to more than twice its size (or 4 MB): no alias bombs.
  const shape = checkYamlDocument(document.contents, {
    maxExpandedChars: Math.max(MAX_EXPANDED_CHARS, 2 * text.length),
  });
  if (shape.length > 0) {
    const problems = shape.map((p) => ({ ...at(p.offset), path: p.path, message: p.message }));
    return { ok: false, problems };
  }
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { ok: false, problems: [{ ...at(0), path: '', message: (error as Error).message }] };
  }
  const result = schema.safeParse(data);
  if (result.success) return { ok: true, value: result.data };
  const problems = result.error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    return {
      ...at(locate(document.contents, issue.path, keys[0])?.range?.[0] ?? 0),
      path: formatPath(issue.path),
      message: issue.message,
    };
  });
  return { ok: false, problems: problems.sort((a, b) => a.line - b.line || a.column - b.column) };
}

/** The node a zod path points at, or the deepest one that exists (a missing key's parent). */
function locate(
  root: unknown,
  path: readonly PropertyKey[],
  unknownKey: string | undefined,
): Ranged | undefined {
  let node = root;
  let found = root as Ranged | undefined;
  for (const key of unknownKey === undefined ? path : [...path, unknownKey]) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key),
      );
      if (!pair) break;
      // An unknown key is best shown at the key itself; anything else at its value.
      found = (key === unknownKey ? pair.key : (pair.value ?? pair.key)) as Ranged;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number' && node.items[key]) {
      node = node.items[key];
      found = node as Ranged;
    } else break;
  }
  return found;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('');
}
