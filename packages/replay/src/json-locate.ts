/**
 * Where values sit in a JSON text, so an error about `log.entries[3].request.url` can name
 * its line. JSON.parse gives values but no positions; this scanner gives positions but no
 * values, and runs only on text JSON.parse has already accepted, so it need not validate.
 */

/** `log.entries[3].request` style, matching the paths zod reports. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return base === '' ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}

/** The offset of every value at most `maxDepth` levels deep, keyed by its path. */
export function locateValues(text: string, maxDepth: number): Map<string, number> {
  const found = new Map<string, number>();
  let i = 0;

  const skipWhitespace = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else return;
    }
  };
  const skipString = (): void => {
    // i is at the opening quote; a quote preceded by an odd run of backslashes is escaped.
    for (let q = text.indexOf('"', i + 1); q !== -1; q = text.indexOf('"', q + 1)) {
      let slashes = 0;
      while (text.charCodeAt(q - 1 - slashes) === 92) slashes++;
      if (slashes % 2 === 0) {
        i = q + 1;
        return;
      }
    }
    i = text.length;
  };
  const skipContainer = (): void => {
    let depth = 0;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        skipString();
        continue;
      }
      if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) {
        depth--;
        if (depth === 0) {
          i++;
          return;
        }
      }
      i++;
    }
  };
  const value = (path: string, depth: number): void => {
    skipWhitespace();
    found.set(path, i);
    const c = text[i];
    if ((c === '{' || c === '[') && depth >= maxDepth) skipContainer();
    else if (c === '{') members(path, depth);
    else if (c === '[') elements(path, depth);
    else if (c === '"') skipString();
    else while (i < text.length && !',]} \t\r\n'.includes(text[i]!)) i++;
  };
  const members = (path: string, depth: number): void => {
    i++;
    skipWhitespace();
    if (text[i] === '}') {
      i++;
      return;
    }
    for (;;) {
      skipWhitespace();
      const start = i;
      skipString();
      const key = JSON.parse(text.slice(start, i)) as string;
      skipWhitespace();
      i++; // ':'
      value(joinPath(path, key), depth + 1);
      skipWhitespace();
      if (text[i++] !== ',') return;
    }
  };
  const elements = (path: string, depth: number): void => {
    i++;
    skipWhitespace();
    if (text[i] === ']') {
      i++;
      return;
    }
    for (let index = 0; ; index++) {
      value(joinPath(path, index), depth + 1);
      skipWhitespace();
      if (text[i++] !== ',') return;
    }
  };

  value('', 0);
  return found;
}

/** The offset of the deepest located prefix of `path` (a missing key lands on its parent). */
export function nearestOffset(offsets: Map<string, number>, path: Array<string | number>): number {
  let best = offsets.get('') ?? 0;
  let current = '';
  for (const key of path) {
    current = joinPath(current, key);
    const at = offsets.get(current);
    if (at === undefined) break;
    best = at;
  }
  return best;
}
