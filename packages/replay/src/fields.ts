/**
 * Editing the parts of a request that masking and remapping touch: query parameters,
 * form fields and JSON body fields. Both sanitise.ts and remap.ts go through here so a
 * field path means the same thing in `--mask body.card.number` and a body remap rule.
 */

/** Returns the new (decoded) value, or undefined to leave the field alone. */
export type FieldEdit = (name: string, value: string) => string | undefined;
/** Returns the new value, or undefined to leave it alone. */
export type ValueEdit = (value: unknown) => unknown;

export function splitPath(path: string): { pathname: string; query: string | undefined } {
  const q = path.indexOf('?');
  return q === -1
    ? { pathname: path, query: undefined }
    : { pathname: path.slice(0, q), query: path.slice(q + 1) };
}

/** Edits `a=1&b=2` pairs in place, keeping order, untouched pairs byte for byte. */
export function editPairs(encoded: string, edit: FieldEdit): { text: string; changed: number } {
  let changed = 0;
  const pairs = encoded.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const rawName = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    const next = edit(decodeComponent(rawName), decodeComponent(rawValue));
    if (next === undefined) return pair;
    changed++;
    return `${rawName}=${encodeURIComponent(next)}`;
  });
  return { text: pairs.join('&'), changed };
}

export function editQuery(path: string, edit: FieldEdit): { path: string; changed: number } {
  const { pathname, query } = splitPath(path);
  if (!query) return { path, changed: 0 };
  const result = editPairs(query, edit);
  return { path: `${pathname}?${result.text}`, changed: result.changed };
}

/**
 * Applies `edit` at a dot path in a JSON value. `*` matches every key or element, and an
 * array met where a key is expected is walked element by element, so `items.sku` reaches
 * the sku of every item.
 */
export function editJsonPath(node: unknown, segments: readonly string[], edit: ValueEdit): number {
  if (segments.length === 0 || node === null || typeof node !== 'object') return 0;
  const [head, ...rest] = segments as [string, ...string[]];
  if (Array.isArray(node)) {
    if (/^\d+$/.test(head))
      return Number(head) < node.length ? visit(node, Number(head), rest, edit) : 0;
    if (head === '*') return node.reduce<number>((n, _, i) => n + visit(node, i, rest, edit), 0);
    return node.reduce<number>((n, item) => n + editJsonPath(item, segments, edit), 0);
  }
  const record = node as Record<string, unknown>;
  const keys = head === '*' ? Object.keys(record) : Object.hasOwn(record, head) ? [head] : [];
  return keys.reduce((n, key) => n + visit(record, key, rest, edit), 0);
}

function visit(
  container: Record<string, unknown> | unknown[],
  key: string | number,
  rest: readonly string[],
  edit: ValueEdit,
): number {
  const holder = container as Record<string | number, unknown>;
  if (rest.length > 0) return editJsonPath(holder[key], rest, edit);
  const next = edit(holder[key]);
  if (next === undefined) return 0;
  holder[key] = next;
  return 1;
}

export interface BodyEdits {
  /** Edits a parsed JSON document in place; returns how many values changed. */
  json: (document: unknown) => number;
  form: FieldEdit;
}

/**
 * Edits a JSON or form body; anything else (and base64 bodies) is returned unchanged.
 * JSON is re-serialised only when something changed, so untouched bodies keep their bytes.
 */
export function editBody(
  body: string,
  contentType: string | undefined,
  edits: BodyEdits,
): { body: string; changed: number } {
  const type = (contentType ?? '').toLowerCase();
  const trimmed = body.trimStart();
  if (type.includes('json') || (!type && (trimmed.startsWith('{') || trimmed.startsWith('[')))) {
    let document: unknown;
    try {
      document = JSON.parse(body);
    } catch {
      return { body, changed: 0 };
    }
    const changed = edits.json(document);
    return changed ? { body: JSON.stringify(document), changed } : { body, changed: 0 };
  }
  if (type.includes('application/x-www-form-urlencoded')) {
    const result = editPairs(body, edits.form);
    return { body: result.text, changed: result.changed };
  }
  return { body, changed: 0 };
}

function decodeComponent(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}
