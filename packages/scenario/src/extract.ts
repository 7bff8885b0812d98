/**
 * Extraction specs: where a step takes a value from its response.
 *   "json $.items[0].id"   a JSON path (dot names and [index] only: predictable, fast)
 *   "header Location"      a response header
 *   "regex id=(\d+)"       the first capture group of a regular expression on the body
 */
export type ExtractSpec =
  | { from: 'json'; path: Array<string | number>; source: string }
  | { from: 'header'; name: string; source: string }
  | { from: 'regex'; pattern: string; source: string };

const JSON_PATH_PART = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\["([^"]+)"\]/y;

export function parseJsonPath(text: string): Array<string | number> | string {
  if (!text.startsWith('$')) return `JSON path "${text}" must start with $`;
  const path: Array<string | number> = [];
  JSON_PATH_PART.lastIndex = 1;
  while (JSON_PATH_PART.lastIndex < text.length) {
    const at = JSON_PATH_PART.lastIndex;
    const match = JSON_PATH_PART.exec(text);
    if (!match || match.index !== at) {
      return `JSON path "${text}" is not understood at character ${at + 1} (use $.a.b[0] or $["a b"])`;
    }
    if (match[1] !== undefined) path.push(match[1]);
    else if (match[2] !== undefined) path.push(Number(match[2]));
    else path.push(match[3] as string);
  }
  return path;
}

export function parseExtract(text: string): ExtractSpec | string {
  const trimmed = text.trim();
  const space = trimmed.indexOf(' ');
  const kind = space === -1 ? trimmed : trimmed.slice(0, space);
  const argument = space === -1 ? '' : trimmed.slice(space + 1).trim();
  if (argument === '') {
    return `"${text}" should be "json $.path", "header Name" or "regex pattern(with group)"`;
  }
  switch (kind) {
    case 'json': {
      const path = parseJsonPath(argument);
      return typeof path === 'string' ? path : { from: 'json', path, source: trimmed };
    }
    case 'header':
      if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(argument))
        return `"${argument}" is not a header name`;
      return { from: 'header', name: argument.toLowerCase(), source: trimmed };
    case 'regex':
      try {
        const groups = new RegExp(`${argument}|`).exec('')?.length ?? 1;
        if (groups < 2) return `regex "${argument}" needs a capture group: the value is group 1`;
      } catch (error) {
        return `regex "${argument}" does not compile: ${(error as Error).message}`;
      }
      return { from: 'regex', pattern: argument, source: trimmed };
    default:
      return `unknown extractor "${kind}" (expected json, header or regex)`;
  }
}

/** Follows a parsed JSON path into a value; undefined when any step is missing. */
export function followJsonPath(value: unknown, path: Array<string | number>): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
