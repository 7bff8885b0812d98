/**
 * Writing JavaScript for exportK6: literals, template strings, durations, and the helper
 * functions a script may need (each written only when a step uses it).
 */
import {
  parseDuration,
  parseTemplate,
  type TemplateExpression,
  type TemplatePart,
} from '@loadline/scenario';

export class Code {
  constructor(readonly text: string) {}
}
export const code = (text: string) => new Code(text);

export const quote = (s: string) =>
  `'${JSON.stringify(s)
    .slice(1, -1)
    .replace(/\\"/g, '"')
    .replace(/'/g, "\\'")
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')}'`;

export const key = (k: string) =>
  k === '__proto__' ? `[${quote(k)}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? k : quote(k);

/** A JS literal of plain data; Code values are written as they are. */
export function js(value: unknown, indent = ''): string {
  if (value instanceof Code) return value.text;
  if (typeof value === 'string') return quote(value);
  if (value === null || typeof value !== 'object') return String(value ?? null);
  const inner = `${indent}  `;
  const items = Array.isArray(value)
    ? value.map((v) => js(v, inner))
    : Object.entries(value).map(([k, v]) => `${key(k)}: ${js(v, inner)}`);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (items.length === 0) return `${open}${close}`;
  const line = `${open}${Array.isArray(value) ? '' : ' '}${items.join(', ')}${Array.isArray(value) ? '' : ' '}${close}`;
  if (line.length <= 72 && !line.includes('\n')) return line;
  return `${open}\n${items.map((i) => `${inner}${i},`).join('\n')}\n${indent}${close}`;
}

/** A k6 duration: "1h30m", "45s", "500ms". */
export function k6Duration(ms: number): string {
  if (!Number.isInteger(ms / 1000)) return `${ms}ms`;
  const s = ms / 1000;
  const [h, m, rest] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${rest || (!h && !m) ? `${rest}s` : ''}`;
}

export const durationMs = (text: string) => parseDuration(text) ?? 0;

/** What a template expression is in the script; `uses` collects the helpers it needs. */
function expression(e: TemplateExpression, uses: Set<string>): string {
  switch (e.kind) {
    case 'variable':
      return `vars.${e.name}`;
    case 'feeder':
      return `rows.${e.feeder}.${e.column}`;
    case 'secret':
      return `SECRETS.${e.name}`;
    case 'random':
      uses.add('randomInt');
      return `randomInt(${e.min}, ${e.max})`;
    case 'uuid':
      uses.add('uuidv4');
      return 'uuidv4()';
    case 'iteration':
      uses.add('exec').add('iteration');
      return 'exec.scenario.iterationInTest';
    case 'runId':
      uses.add('runId');
      return 'data.runId';
  }
}

const ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '`': '\\`',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/** Literal text inside a template literal: `${` stays text, control characters are escaped. */
function escapeLiteral(s: string): string {
  let out = '';
  for (const c of s) {
    const code = c.charCodeAt(0);
    if (ESCAPES[c] !== undefined) out += ESCAPES[c];
    else if (code < 0x20 || c === '\u2028' || c === '\u2029')
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return out.replace(/\$\{/g, '\\${');
}

/** A template as a JS string expression (a quoted literal when it has no expressions). */
export function template(parts: TemplatePart[], uses: Set<string>, prefix = ''): string {
  if (prefix === '' && parts.every((p) => typeof p === 'string')) return quote(parts.join(''));
  const body = parts
    .map((p) => (typeof p === 'string' ? escapeLiteral(p) : `\${${expression(p, uses)}}`))
    .join('');
  return `\`${prefix}${body}\``;
}

export function parsed(text: string): TemplatePart[] {
  const parts = parseTemplate(text);
  // The scenario was validated: a template that does not parse is a bug, not input.
  if (typeof parts === 'string') throw new Error(parts);
  return parts;
}

/** A `json:` body as a JS value whose template strings are expressions. */
export function jsonBody(value: unknown, uses: Set<string>): unknown {
  if (typeof value === 'string') {
    const parts = parsed(value);
    return parts.every((p) => typeof p === 'string') ? value : code(template(parts, uses));
  }
  if (Array.isArray(value)) return value.map((v) => jsonBody(v, uses));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonBody(v, uses)]));
  }
  return value;
}

/** Custom metrics a threshold may need: k6's Rate metrics have no count. */
export const COUNTERS = {
  errors: 'loadline_errors',
  checksFailed: 'loadline_checks_failed',
} as const;

/** setup(): the run id `${runId()}` renders, once for the whole run. */
export const SETUP = `export function setup() {
  return { runId: __ENV.LOADLINE_RUN_ID || \`k6-\${Date.now()}\` };
}`;

const HELPERS: Record<string, string> = {
  randomInt: `/**
 * @param {number} min
 * @param {number} max
 */
function randomInt(min, max) {
  return min + Math.floor(Math.random() * (max - min + 1));
}`,
  uuidv4: `function uuidv4() {
  return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (c) => {
    const r = Math.floor(Math.random() * 16);
    return (c === 'x' ? r : (r & 3) | 8).toString(16);
  });
}`,
  jsonValue: `/**
 * A scalar of the JSON body at a gjson path, or undefined (not JSON, missing, null, an object).
 * @param {import('k6/http').Response} res
 * @param {string} path
 */
function jsonValue(res, path) {
  let value;
  try {
    value = res.json(path);
  } catch {
    return undefined;
  }
  return value === undefined || value === null || typeof value === 'object' ? undefined : String(value);
}`,
  headerValue: `/**
 * @param {import('k6/http').Response} res
 * @param {string} name lower-case
 */
function headerValue(res, name) {
  for (const [key, value] of Object.entries(res.headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}`,
  regexValue: `/**
 * The first capture group of a pattern on the body, or undefined.
 * @param {import('k6/http').Response} res
 * @param {string} pattern
 */
function regexValue(res, pattern) {
  return typeof res.body === 'string' ? new RegExp(pattern).exec(res.body)?.[1] : undefined;
}`,
  checkCounted: `/**
 * check(), also counting the checks that failed (for a checks count threshold).
 * @param {import('k6/http').Response} res
 * @param {Record<string, (r: import('k6/http').Response) => boolean>} sets
 * @param {Record<string, string>} tags
 */
function checkCounted(res, sets, tags) {
  let failed = 0;
  for (const [name, predicate] of Object.entries(sets)) if (!check(res, { [name]: predicate }, tags)) failed++;
  ${COUNTERS.checksFailed}.add(failed, tags);
}`,
  secret: `/** @param {string} name */
function secret(name) {
  const value = __ENV[name];
  if (!value) throw new Error(\`the scenario needs the secret \${name}: run with -e \${name}=...\`);
  return value;
}`,
  nextRow: `/**
 * This iteration's row: in order (wrapping) or at random.
 * @param {Record<string, string>[]} rows
 * @param {string} order
 */
function nextRow(rows, order) {
  const i = order === 'random' ? Math.floor(Math.random() * rows.length) : exec.scenario.iterationInTest;
  return rows[i % rows.length];
}`,
  feeder: `/**
 * A feeder's rows, checked before any request: some rows, and the columns the flows use.
 * @param {string} name
 * @param {Record<string, string>[]} rows
 * @param {string[]} columns
 */
function feeder(name, rows, columns) {
  if (rows.length === 0) throw new Error(\`feeder \${name} has no rows\`);
  const missing = columns.filter((c) => !(c in rows[0]));
  if (missing.length > 0) throw new Error(\`feeder \${name} has no column \${missing.join(', ')}\`);
  return rows;
}`,
  parseCsv: `/**
 * CSV with a header row (RFC 4180 quoting, BOM, blank lines skipped, fields trimmed).
 * @param {string} text
 * @returns {Record<string, string>[]}
 */
function parseCsv(text) {
  /** @type {string[][]} */
  const records = [];
  /** @type {string[]} */
  let record = [];
  let field = '';
  let quoted = false;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (quoted) {
      if (c !== '"') field += c;
      else if (src[i + 1] === '"') field += src[++i];
      else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\\n' || c === '\\r') {
      if (c === '\\r' && src[i + 1] === '\\n') i++;
      records.push([...record, field]);
      record = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || record.length > 0) records.push([...record, field]);
  const rows = records.filter((r) => r.length > 1 || r[0].trim() !== '').map((r) => r.map((f) => f.trim()));
  const header = rows.shift() ?? [];
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}`,
};

export function helpers(uses: Set<string>): string[] {
  return Object.entries(HELPERS)
    .filter(([name]) => uses.has(name))
    .map(([, text]) => text);
}
