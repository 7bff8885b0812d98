/**
 * The part of gjson's path syntax k6 scripts use in `res.json(selector)`: dotted keys,
 * array indexes, `#` (length), `#.key` (a key of every element), `\.` for a literal dot,
 * and `*`/`?` wildcards in keys. Returns undefined where the path leads nowhere.
 */
function segments(path: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i] as string;
    if (c === '\\' && i + 1 < path.length) current += path[++i];
    else if (c === '.') {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out;
}

function wildcard(pattern: string): RegExp | undefined {
  if (!/[*?]/.test(pattern)) return undefined;
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`);
}

function step(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    if (key === '#') return value.length;
    if (/^\d+$/.test(key)) return value[Number(key)];
    return undefined;
  }
  const record = value as Record<string, unknown>;
  const pattern = wildcard(key);
  if (pattern) {
    const match = Object.keys(record).find((k) => pattern.test(k));
    return match === undefined ? undefined : record[match];
  }
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

export function gjson(document: unknown, path: string): unknown {
  const parts = segments(path);
  let value: unknown = document;
  for (let i = 0; i < parts.length; i++) {
    const key = parts[i] as string;
    if (key === '#' && Array.isArray(value) && i + 1 < parts.length) {
      const rest = parts
        .slice(i + 1)
        .map((p) => p.replace(/\./g, '\\.'))
        .join('.');
      return value.map((item) => gjson(item, rest)).filter((v) => v !== undefined);
    }
    value = step(value, key);
    if (value === undefined) return undefined;
  }
  return value;
}
