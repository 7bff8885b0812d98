import type { MixEntry, RequestMix } from './corpus.js';

/**
 * Path segments that are identifiers, not routes. Order matters: a UUID is also hex.
 * Conservative on purpose: `/blog/2013` → `/blog/{id}` is right, `/v2` must stay `/v2`.
 */
const SEGMENT_RULES: Array<[RegExp, string]> = [
  [/^\d+$/, '{id}'],
  [/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, '{uuid}'],
  [/^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/, '{date}'],
  [/^(?=.*\d)[0-9a-f]{16,}$/i, '{hash}'],
  // Long tokens mixing letters and digits; names with _ or - (logo_272x92dp) are words.
  [/^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9]{20,}$/, '{token}'],
];

/** `/api/products/123?x=1` → `/api/products/{id}`; `/img/42.png` → `/img/{id}.png`. */
export function pathTemplate(path: string): string {
  const q = path.search(/[?#]/);
  const pathname = q === -1 ? path : path.slice(0, q);
  return pathname
    .split('/')
    .map((segment) => {
      if (segment === '') return segment;
      const dot = segment.lastIndexOf('.');
      const [stem, ext] = dot > 0 ? [segment.slice(0, dot), segment.slice(dot)] : [segment, ''];
      for (const [pattern, name] of SEGMENT_RULES) {
        if (pattern.test(segment)) return name;
        if (ext && /^\.[A-Za-z0-9]{1,5}$/.test(ext) && pattern.test(stem)) return `${name}${ext}`;
      }
      return segment;
    })
    .join('/');
}

/** Counts requests by method + template as they come, for a mix of any number of them. */
export class MixCounter {
  private readonly counts = new Map<string, MixEntry>();
  private total = 0;

  add(method: string, path: string): void {
    this.total++;
    const template = pathTemplate(path);
    const key = `${method} ${template}`;
    const entry = this.counts.get(key);
    if (entry) entry.count++;
    else this.counts.set(key, { method, template, count: 1, share: 0 });
  }

  /** The top `limit` templates listed, the rest folded into `other`. */
  mix(limit = 50): RequestMix {
    const { total } = this;
    const sorted = [...this.counts.values()].sort(
      (a, b) =>
        b.count - a.count ||
        a.template.localeCompare(b.template) ||
        a.method.localeCompare(b.method),
    );
    const share = (count: number) => (total === 0 ? 0 : count / total);
    const entries = sorted.slice(0, limit).map((e) => ({ ...e, share: share(e.count) }));
    const rest = sorted.slice(limit);
    const otherCount = rest.reduce((n, e) => n + e.count, 0);
    return {
      total,
      distinct: sorted.length,
      entries,
      other: { templates: rest.length, count: otherCount, share: share(otherCount) },
    };
  }
}

/** Counts by method + template; the top `limit` are listed, the rest folded into `other`. */
export function requestMix(
  requests: Iterable<{ method: string; path: string }>,
  limit = 50,
): RequestMix {
  const counter = new MixCounter();
  for (const { method, path } of requests) counter.add(method, path);
  return counter.mix(limit);
}
