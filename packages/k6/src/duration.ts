/** k6's durations: numbers and unitless strings are milliseconds, else Go's syntax with days. */
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const GO_DURATION = /^[+-]?((\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/;
const GO_PART = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

function parseGoDuration(text: string): number | undefined {
  if (!GO_DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, value, unit] of text.matchAll(GO_PART)) total += Number(value) * UNIT_MS[unit!]!;
  return text.startsWith('-') ? -total : total;
}

/**
 * k6's duration value (lib/types ParseExtendedDuration) in ms: a number is milliseconds, and so
 * is a unitless string ("500"); otherwise a Go duration ("1m30s", "250ms") with an optional
 * leading day count ("2d12h"). Undefined when it is not a duration.
 */
export function parseK6Duration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  if (FLOAT.test(value)) return Number(value);
  const d = value.indexOf('d');
  if (d < 0) return parseGoDuration(value);
  if (!/^[+-]?\d+$/.test(value.slice(0, d))) return undefined;
  const days = Number(value.slice(0, d));
  const rest = d + 1 < value.length ? parseGoDuration(value.slice(d + 1)) : 0;
  if (rest === undefined || rest < 0) return undefined;
  return days * 86_400_000 + (days < 0 ? -rest : rest);
}
