// Number formatting and a plain-text table for the console output.

export function fmt(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a';
  if (typeof value !== 'number') return String(value);
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

export const ms = (v) => (v === null || v === undefined ? 'n/a' : `${fmt(v, v < 10 ? 2 : 1)} ms`);
export const mb = (v) => (v === null || v === undefined ? 'n/a' : `${fmt(v, 1)} MB`);
export const pct = (v) =>
  v === null || v === undefined ? 'n/a' : `${v >= 0 ? '+' : ''}${fmt(v, 2)} %`;

/** a / b, or null when either side is missing or b is zero. */
export function ratio(a, b) {
  return typeof a === 'number' && typeof b === 'number' && b !== 0 ? a / b : null;
}

export function verdict(pass) {
  if (pass === null || pass === undefined) return '-';
  return pass ? 'PASS' : 'MISS';
}

/** Renders rows (arrays of strings) under `headers` with aligned columns. */
export function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells
      .map((c, i) => String(c).padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** One console line for a normalised tool result. */
export function describe(r) {
  const name = r.tool.padEnd(22);
  if (r.error) return `  ${name} ERROR ${r.error.split('\n')[0]}`;
  const l = r.latencyMs ?? {};
  const extra = [
    r.serverRequests !== undefined ? `(server saw ${fmt(r.serverRequests)})` : '',
    r.late ? `late ${fmt(r.late)}` : '',
    r.dropped ? `dropped ${fmt(r.dropped)}` : '',
    r.errors ? `errors ${fmt(r.errors)}` : '',
  ].filter(Boolean);
  return (
    `  ${name} ${fmt(r.requests).padStart(11)} req  ${fmt(r.rps).padStart(9)} rps` +
    `  p50 ${ms(l.p50)}  p99 ${ms(l.p99)}  max ${ms(l.max)}` +
    (extra.length ? `  ${extra.join('  ')}` : '')
  );
}
