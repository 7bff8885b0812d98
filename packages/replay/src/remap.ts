import { z } from 'zod';
import { editBody, editJsonPath, editQuery, splitPath } from './fields.js';
import { hash53 } from './hash.js';
import type { Sanitisable } from './sanitise.js';

/**
 * Moves identifiers into a shadow range, so replayed writes land on shadow users/orders
 * (seeded for the test) instead of real ones. Either add an `offset` (numeric IDs), or map
 * into the range `to: [min, max)` by a deterministic hash (any ID, numeric or not).
 */
export const RemapRule = z
  .object({
    in: z.enum(['path', 'query', 'body']),
    /** path: a regex over the path (without query); every capture group is an ID. */
    pattern: z.string().optional(),
    /** query: the parameter name; body: a dot path into JSON (or a form field). */
    name: z.string().optional(),
    offset: z.number().int().optional(),
    to: z.tuple([z.number().int(), z.number().int()]).optional(),
  })
  .superRefine((rule, ctx) => {
    if ((rule.offset === undefined) === (rule.to === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of offset or to' });
    }
    if (rule.to && rule.to[0] >= rule.to[1]) {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: 'to must be [min, max) with min < max',
      });
    }
    if (rule.in === 'path') {
      if (!rule.pattern)
        ctx.addIssue({ code: 'custom', path: ['pattern'], message: 'a path rule needs a pattern' });
      else if (!compiles(rule.pattern))
        ctx.addIssue({
          code: 'custom',
          path: ['pattern'],
          message: 'not a valid regular expression',
        });
      else if (new RegExp(`${rule.pattern}|`).exec('')!.length < 2) {
        ctx.addIssue({
          code: 'custom',
          path: ['pattern'],
          message: 'the pattern needs a capture group around the ID',
        });
      }
    } else if (!rule.name) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: `a ${rule.in} rule needs a name` });
    }
  });
export type RemapRule = z.infer<typeof RemapRule>;

/**
 * CLI form `IN:SELECTOR=TRANSFORM`, split at the last `=`. TRANSFORM is `+N` / `-N` (offset)
 * or `MIN..MAX` (hash into [MIN, MAX)); numbers may be written 9e8.
 *   path:/api/users/(\d+)=+900000000
 *   query:user_id=+900000000
 *   body:order.customerId=900000000..910000000
 */
export function parseRemapRule(spec: string): RemapRule {
  const match = /^(path|query|body):(.+)=([^=]+)$/.exec(spec);
  const fail = (why: string): never => {
    throw new Error(
      `remap rule "${spec}": ${why} (e.g. path:/api/users/(\\d+)=+900000000 or query:id=9e8..9.1e8)`,
    );
  };
  if (!match) return fail('expected IN:SELECTOR=+OFFSET or IN:SELECTOR=MIN..MAX');
  // The pattern has three groups that always take part in a match.
  const where = match[1] as RemapRule['in'];
  const selector = match[2] as string;
  const transform = match[3] as string;
  const range = /^(.+)\.\.(.+)$/.exec(transform);
  const base = where === 'path' ? { in: where, pattern: selector } : { in: where, name: selector };
  const rule = range
    ? { ...base, to: [Number(range[1]), Number(range[2])] }
    : /^[+-]/.test(transform)
      ? { ...base, offset: Number(transform) }
      : fail(`transform "${transform}" is neither +OFFSET nor MIN..MAX`);
  const parsed = RemapRule.safeParse(rule);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail(issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message);
  }
  return parsed.data;
}

/** A stable label for counts and messages, in the CLI syntax. */
export function ruleLabel(rule: RemapRule): string {
  const transform = rule.to
    ? `${rule.to[0]}..${rule.to[1]}`
    : `${rule.offset! >= 0 ? '+' : ''}${rule.offset}`;
  return `${rule.in}:${rule.in === 'path' ? rule.pattern : rule.name}=${transform}`;
}

/**
 * One original → shadow table per transform. Rules with the same transform share it, so
 * user 42 in `/api/users/42` and in `{"userId": 42}` become the same shadow user.
 */
class ShadowIds {
  private readonly byOriginal = new Map<string, string>();
  private readonly used = new Set<number>();

  constructor(private readonly rule: RemapRule) {}

  map(original: string): string | undefined {
    const known = this.byOriginal.get(original);
    if (known !== undefined) return known;
    let shadow: string | undefined;
    if (this.rule.to) {
      shadow = String(this.hashInto(original, this.rule.to[0], this.rule.to[1]));
    } else if (/^-?\d+$/.test(original)) {
      shadow = String(BigInt(original) + BigInt(this.rule.offset!));
    }
    if (shadow !== undefined) this.byOriginal.set(original, shadow);
    return shadow;
  }

  /** Hash, then probe linearly past IDs already given to another original: no two collide. */
  private hashInto(original: string, min: number, max: number): number {
    const size = max - min;
    if (this.used.size >= size) throw new Error(`remap range ${min}..${max} is full`);
    let slot = hash53(original) % size;
    while (this.used.has(min + slot)) slot = (slot + 1) % size;
    this.used.add(min + slot);
    return min + slot;
  }
}

export class Remapper {
  /** Values rewritten per rule label. */
  readonly counts: Record<string, number> = {};
  private readonly rules: Array<{ rule: RemapRule; label: string; ids: ShadowIds; regex?: RegExp }>;

  constructor(rules: readonly RemapRule[]) {
    const tables = new Map<string, ShadowIds>();
    this.rules = rules.map((rule) => {
      const key = rule.to ? `to:${rule.to.join('..')}` : `offset:${rule.offset}`;
      if (!tables.has(key)) tables.set(key, new ShadowIds(rule));
      const label = ruleLabel(rule);
      this.counts[label] = 0;
      return {
        rule,
        label,
        ids: tables.get(key)!,
        ...(rule.pattern ? { regex: new RegExp(rule.pattern, 'gd') } : {}),
      };
    });
  }

  apply(request: Sanitisable): void {
    for (const { rule, label, ids, regex } of this.rules) {
      let changed = 0;
      if (regex) {
        const { pathname, query } = splitPath(request.path);
        const result = replaceGroups(pathname, regex, (id) => ids.map(id));
        request.path = query === undefined ? result.text : `${result.text}?${query}`;
        changed = result.changed;
      } else if (rule.in === 'query') {
        const result = editQuery(request.path, (name, value) =>
          name === rule.name ? ids.map(value) : undefined,
        );
        request.path = result.path;
        changed = result.changed;
      } else if (request.body && request.bodyEncoding !== 'base64') {
        const segments = rule.name!.split('.');
        const contentType = request.headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1];
        const result = editBody(request.body, contentType, {
          json: (doc) => editJsonPath(doc, segments, (value) => mapJsonValue(value, ids)),
          form: (name, value) =>
            segments.length === 1 && name === segments[0] ? ids.map(value) : undefined,
        });
        request.body = result.body;
        changed = result.changed;
      }
      this.counts[label]! += changed;
    }
  }
}

/** Numbers stay numbers (when the shadow ID fits), strings stay strings. */
function mapJsonValue(value: unknown, ids: ShadowIds): unknown {
  if (typeof value === 'number' && Number.isSafeInteger(value)) {
    const shadow = ids.map(String(value));
    return shadow === undefined ? undefined : Number(shadow);
  }
  return typeof value === 'string' ? ids.map(value) : undefined;
}

/** Replaces every capture group of every match; `map` returning undefined leaves it. */
function replaceGroups(
  text: string,
  regex: RegExp,
  map: (id: string) => string | undefined,
): { text: string; changed: number } {
  const spans: Array<[number, number, string]> = [];
  regex.lastIndex = 0;
  for (let match = regex.exec(text); match; match = regex.exec(text)) {
    if (match[0] === '') regex.lastIndex++;
    const indices = match.indices!;
    for (let g = 1; g < match.length; g++) {
      const span = indices[g];
      const value = match[g];
      if (!span || value === undefined) continue;
      const shadow = map(value);
      if (shadow !== undefined && shadow !== value) spans.push([span[0], span[1], shadow]);
    }
  }
  let out = text;
  for (const [start, end, shadow] of spans.sort((a, b) => b[0] - a[0])) {
    out = `${out.slice(0, start)}${shadow}${out.slice(end)}`;
  }
  return { text: out, changed: spans.length };
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}
