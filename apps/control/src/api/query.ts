import { fieldProblem } from './errors.js';

/**
 * `?from=`/`?to=` as a date: ISO 8601, or absent. Years outside 1970–9999 are refused
 * here (Postgres and ClickHouse would fail on them, or worse, answer nonsense).
 */
export function dateQuery(query: URLSearchParams, name: 'from' | 'to'): { from?: Date; to?: Date } {
  const text = query.get(name);
  if (!text) return {};
  const value = new Date(text);
  const year = value.getUTCFullYear();
  if (Number.isNaN(value.getTime()) || year < 1970 || year > 9999) {
    throw fieldProblem(
      'invalid query',
      name,
      `${name}: "${text.slice(0, 64)}" is not a date (ISO 8601 from 1970 to 9999, e.g. 2026-11-11 or 2026-11-11T00:00:00Z)`,
      'not a date',
    );
  }
  return { [name]: value };
}
