/**
 * A local stand-in for the public hosts k6's documentation examples talk to: httpbin
 * (httpbin.test.k6.io, httpbin.org), test.k6.io, test-api.k6.io and QuickPizza
 * (quickpizza.grafana.com). One node:http server on 127.0.0.1; tests map every host name
 * onto it, so routes go by path, and by the Host header only where paths collide (`/`).
 *
 * Response shapes follow the services' own sources (postmanlabs/httpbin core.py and
 * helpers.py, grafana/test.k6.io site/*.php, grafana/test-api.k6.io api/*.py,
 * grafana/quickpizza pkg/http/http.go and pkg/model). Nothing here reaches the network.
 */
import { createHash, createHmac, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';

export interface ReceivedRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** Path and query as sent. */
  readonly url: string;
  /** Host header as sent (may carry a port). */
  readonly host: string;
}

export interface ReceivedLog {
  readonly total: number;
  readonly requests: readonly ReceivedRequest[];
  /** Requests seen per path (query stripped). */
  readonly byPath: Readonly<Record<string, number>>;
  /** Requests matching every given field; host compares without port, case-insensitively. */
  count(filter?: { method?: string; path?: string; host?: string }): number;
}

export interface StandIn {
  url: string;
  port: number;
  close(): Promise<void>;
  received: () => ReceivedLog;
}

// ---------------------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------------------

type HeaderMap = Record<string, string | string[]>;
type Fields = Record<string, string | string[]>;

interface Reply {
  status: number;
  headers?: HeaderMap;
  body?: string | Buffer;
}

interface Parsed {
  form: Fields;
  files: Fields;
  /** The raw body as httpbin reports it: '' for form posts, text, or a base64 data URL. */
  data: string;
  json: unknown;
}

interface Ctx {
  method: string;
  path: string;
  rawUrl: string;
  query: URLSearchParams;
  params: Record<string, string>;
  headers: IncomingMessage['headers'];
  rawHeaders: readonly string[];
  body: Buffer;
  parsed: Parsed;
  host: string;
  hostname: string;
  remote: string;
  scheme: string;
  cookies: Record<string, string>;
  state: State;
  signal: AbortSignal;
}

type Handler = (c: Ctx) => Reply | Promise<Reply>;

interface Route {
  methods: readonly string[];
  re: RegExp;
  keys: readonly string[];
  host?: RegExp;
  handler: Handler;
}

const ANY = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'TRACE'] as const;
const HOST = {
  testSite: /^test\.k6\.io$/,
  testApi: /^test-api\.k6\.io$/,
  quickPizza: /^quickpizza\.grafana\.com$/,
};

function route(
  methods: string | readonly string[],
  path: string,
  handler: Handler,
  host?: RegExp,
): Route {
  const keys: string[] = [];
  const source = path
    .split('/')
    .map((seg) => {
      if (seg === '*') {
        keys.push('rest');
        return '(.*)';
      }
      if (seg.startsWith(':')) {
        keys.push(seg.slice(1));
        return '([^/]+)';
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  const list = typeof methods === 'string' ? [methods] : methods;
  return { methods: list, re: new RegExp(`^${source}$`), keys, handler, ...(host ? { host } : {}) };
}

function paramsOf(r: Route, path: string): Record<string, string> {
  const m = r.re.exec(path);
  return Object.fromEntries(r.keys.map((k, i) => [k, safeDecode(m?.[i + 1] ?? '')]));
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

async function dispatch(routes: readonly Route[], c: Ctx): Promise<Reply> {
  const hits = routes.filter((r) => (!r.host || r.host.test(c.hostname)) && r.re.test(c.path));
  if (hits.length === 0) return slashRedirect(routes, c) ?? notFound(c);
  const hit = hits.find(
    (r) => r.methods.includes(c.method) || (c.method === 'HEAD' && r.methods.includes('GET')),
  );
  if (hit) return hit.handler({ ...c, params: paramsOf(hit, c.path) });
  const allowed = new Set(['OPTIONS']);
  for (const r of hits) for (const m of r.methods) allowed.add(m).add(m === 'GET' ? 'HEAD' : m);
  const allow = [...allowed].sort().join(', ');
  if (c.method === 'OPTIONS') {
    return {
      status: 200,
      headers: {
        Allow: allow,
        'Content-Type': 'text/html; charset=utf-8',
        'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, PATCH, OPTIONS',
        'Access-Control-Max-Age': '3600',
        ...(c.headers['access-control-request-headers']
          ? { 'Access-Control-Allow-Headers': c.headers['access-control-request-headers'] }
          : {}),
      },
      body: '',
    };
  }
  if (c.path.startsWith('/api/')) return { status: 405, body: '' };
  return werkzeugError(
    405,
    'Method Not Allowed',
    'The method is not allowed for the requested URL.',
    {
      Allow: allow,
    },
  );
}

/** Django's APPEND_SLASH (test-api.k6.io): GET /public/crocodiles → 301 /public/crocodiles/. */
function slashRedirect(routes: readonly Route[], c: Ctx): Reply | undefined {
  if (c.path.endsWith('/') || (c.method !== 'GET' && c.method !== 'HEAD')) return undefined;
  const slashed = `${c.path}/`;
  if (!routes.some((r) => r.re.test(slashed) && (!r.host || r.host.test(c.hostname)))) return;
  const q = c.query.toString();
  return { status: 301, headers: { Location: q ? `${slashed}?${q}` : slashed }, body: '' };
}

function notFound(c: Ctx): Reply {
  if (c.path.startsWith('/api/')) {
    return text(404, '404 page not found\n', 'text/plain; charset=utf-8');
  }
  return werkzeugError(
    404,
    'Not Found',
    'The requested URL was not found on the server.  If you entered the URL manually please check your spelling and try again.',
  );
}

function werkzeugError(status: number, title: string, message: string, headers: HeaderMap = {}) {
  const body = `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<title>${status} ${title}</title>\n<h1>${title}</h1>\n<p>${message}</p>\n`;
  return text(status, body, 'text/html; charset=utf-8', headers);
}

function text(status: number, body: string | Buffer, type: string, headers: HeaderMap = {}) {
  return { status, headers: { 'Content-Type': type, ...headers }, body };
}

// ---------------------------------------------------------------------------------------
// Request decoding shared by the sites
// ---------------------------------------------------------------------------------------

function semiflatten(entries: Iterable<[string, string]>): Fields {
  const grouped = new Map<string, string[]>();
  for (const [k, v] of entries) {
    const list = grouped.get(k);
    if (list) list.push(v);
    else grouped.set(k, [v]);
  }
  return Object.fromEntries([...grouped].map(([k, vs]) => [k, vs.length === 1 ? vs[0]! : vs]));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** httpbin's json_safe: text if it is UTF-8, otherwise an RFC 2397 data URL. */
function jsonSafe(buf: Buffer, type = 'application/octet-stream'): string {
  try {
    return utf8.decode(buf);
  } catch {
    return `data:${type};base64,${buf.toString('base64')}`;
  }
}

function headerParam(value: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|;)\\s*${name}=(?:"([^"]*)"|([^;]*))`, 'i').exec(value);
  return m ? (m[1] ?? m[2]?.trim()) : undefined;
}

function parseMultipart(body: Buffer, boundary: string): { form: Fields; files: Fields } {
  const form: [string, string][] = [];
  const files: [string, string][] = [];
  const delim = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delim);
  while (pos !== -1) {
    let start = pos + delim.length;
    if (body[start] === 45 && body[start + 1] === 45) break; // closing "--"
    if (body[start] === 13 && body[start + 1] === 10) start += 2;
    const next = body.indexOf(delim, start);
    if (next === -1) break;
    const end = body[next - 2] === 13 && body[next - 1] === 10 ? next - 2 : next;
    const part = body.subarray(start, end);
    const split = part.indexOf('\r\n\r\n');
    if (split !== -1) {
      const head = part.subarray(0, split).toString('utf8');
      const content = part.subarray(split + 4);
      const disposition = /^content-disposition:\s*(.*)$/im.exec(head)?.[1] ?? '';
      const type = /^content-type:\s*(.*)$/im.exec(head)?.[1]?.trim();
      const name = headerParam(disposition, 'name') ?? '';
      const filename = headerParam(disposition, 'filename');
      if (filename !== undefined) files.push([name, jsonSafe(content, type)]);
      else form.push([name, content.toString('utf8')]);
    }
    pos = next;
  }
  return { form: semiflatten(form), files: semiflatten(files) };
}

function parseBody(contentType: string, body: Buffer): Parsed {
  const type = contentType.toLowerCase();
  if (type.startsWith('application/x-www-form-urlencoded')) {
    return {
      form: semiflatten(new URLSearchParams(body.toString('utf8'))),
      files: {},
      data: '',
      json: null,
    };
  }
  const boundary = headerParam(contentType, 'boundary');
  if (type.startsWith('multipart/form-data') && boundary) {
    return { ...parseMultipart(body, boundary), data: '', json: null };
  }
  const data = jsonSafe(body);
  let json: unknown = null;
  try {
    json = JSON.parse(utf8.decode(body));
  } catch {
    json = null;
  }
  return { form: {}, files: {}, data, json };
}

function parseCookies(header: string | undefined): Record<string, string> {
  const pairs: [string, string][] = [];
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const value = part.slice(i + 1).trim();
    const unquoted = value.length >= 2 && value.startsWith('"') && value.endsWith('"');
    pairs.push([part.slice(0, i).trim(), unquoted ? value.slice(1, -1) : value]);
  }
  return Object.fromEntries(pairs.reverse());
}

function basicCredentials(c: Ctx): { user: string; pass: string } | undefined {
  const m = /^basic\s+(.+)$/i.exec(c.headers.authorization ?? '');
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? undefined : { user: decoded.slice(0, i), pass: decoded.slice(i + 1) };
}

function formValue(fields: Fields, key: string): string | undefined {
  const v = fields[key];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

// ---------------------------------------------------------------------------------------
// httpbin (httpbin.test.k6.io, httpbin.org): the default for any host
// ---------------------------------------------------------------------------------------

const ENV_HEADERS = new Set(
  'x-varnish x-request-start x-heroku-queue-depth x-real-ip x-forwarded-proto x-forwarded-protocol x-forwarded-ssl x-heroku-queue-wait-time x-forwarded-for x-heroku-dynos-in-use x-forwarded-port x-request-id via total-route-time connect-time'.split(
    ' ',
  ),
);
const ENV_COOKIES = new Set(
  '_gauges_unique _gauges_unique_year _gauges_unique_month _gauges_unique_day _gauges_unique_hour __utmz __utma __utmb'.split(
    ' ',
  ),
);

/** Python's str.title(), which is how werkzeug spells header names it rebuilt from WSGI. */
function pyTitle(name: string): string {
  let out = '';
  let prevLetter = false;
  for (const ch of name.toLowerCase()) {
    const letter = ch >= 'a' && ch <= 'z';
    out += letter && !prevLetter ? ch.toUpperCase() : ch;
    prevLetter = letter;
  }
  return out;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}

/** Flask's pretty jsonify as httpbin serves it: sorted keys, ", " before newlines, ASCII. */
function pyJson(value: unknown): string {
  const pretty = JSON.stringify(sortKeys(value), null, 2).replace(/,\n/g, ', \n');
  const ascii = pretty.replace(
    /[\u007f-\uffff]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `${ascii}\n`;
}

function binJson(value: unknown, status = 200, headers: HeaderMap = {}): Reply {
  return text(status, pyJson(value), 'application/json', headers);
}

type EchoKey =
  | 'url'
  | 'args'
  | 'form'
  | 'data'
  | 'origin'
  | 'headers'
  | 'files'
  | 'json'
  | 'method';

function binHeaders(c: Ctx): Record<string, string> {
  const showEnv = c.query.has('show_env');
  const merged = new Map<string, string>();
  for (let i = 0; i + 1 < c.rawHeaders.length; i += 2) {
    const name = c.rawHeaders[i]!.toLowerCase();
    if (!showEnv && ENV_HEADERS.has(name)) continue;
    const key = pyTitle(name);
    const prior = merged.get(key);
    merged.set(key, prior === undefined ? c.rawHeaders[i + 1]! : `${prior},${c.rawHeaders[i + 1]}`);
  }
  return Object.fromEntries(merged);
}

function origin(c: Ctx): string {
  return (c.headers['x-forwarded-for'] as string | undefined) ?? c.remote;
}

function echo(c: Ctx, keys: readonly EchoKey[], extras: Record<string, unknown> = {}) {
  const all: Record<EchoKey, () => unknown> = {
    url: () => `${c.scheme}://${c.host}${c.rawUrl}`,
    args: () => semiflatten(c.query),
    form: () => c.parsed.form,
    data: () => c.parsed.data,
    origin: () => origin(c),
    headers: () => binHeaders(c),
    files: () => c.parsed.files,
    json: () => c.parsed.json,
    method: () => c.method,
  };
  return { ...Object.fromEntries(keys.map((k) => [k, all[k]()])), ...extras };
}

const BODY_KEYS: readonly EchoKey[] = [
  'url',
  'args',
  'form',
  'data',
  'origin',
  'headers',
  'files',
  'json',
];

function flaskRedirect(location: string, status = 302, headers: HeaderMap = {}): Reply {
  const body = `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n<p>You should be redirected automatically to target URL: <a href="${location}">${location}</a>.  If not click the link.`;
  return text(status, body, 'text/html; charset=utf-8', { Location: location, ...headers });
}

function statusReply(code: number): Reply {
  const html = 'text/html; charset=utf-8';
  if ([301, 302, 303, 305, 307].includes(code))
    return text(code, '', html, { Location: '/redirect/1' });
  if (code === 401) return text(code, '', html, { 'WWW-Authenticate': 'Basic realm="Fake Realm"' });
  if (code === 407)
    return text(code, '', html, { 'Proxy-Authenticate': 'Basic realm="Fake Realm"' });
  if (code === 402) {
    return text(code, 'Fuck you, pay me!', html, { 'x-more-info': 'http://vimeo.com/22053820' });
  }
  if (code === 406) {
    const accept = ['image/webp', 'image/svg+xml', 'image/jpeg', 'image/png', 'image/*'];
    const body = JSON.stringify({
      message: 'Client did not request a supported media type.',
      accept,
    });
    return text(code, body, 'application/json');
  }
  if (code === 418) {
    const teapot =
      '\n    -=[ teapot ]=-\n\n       _...._\n     .\'  _ _ `.\n    | ."` ^ `". _,\n    \\_;`"---"`|//\n      |       ;/\n      \\_     _/\n        `"""`\n';
    return text(code, teapot, html, { 'x-more-info': 'http://tools.ietf.org/html/rfc2324' });
  }
  return text(code, '', html);
}

function viewStatus(c: Ctx): Reply {
  const invalid = text(400, 'Invalid status code', 'text/html; charset=utf-8');
  const choices: { code: number; weight: number }[] = [];
  for (const choice of (c.params.codes ?? '').split(',')) {
    const [code, weight = '1'] = choice.split(':');
    if (!/^\d+$/.test(code ?? '') || Number.isNaN(Number(weight))) return invalid;
    choices.push({ code: Number(code), weight: Number(weight) });
  }
  const total = choices.reduce((sum, x) => sum + x.weight, 0);
  let remaining = Math.random() * total;
  const chosen =
    choices.find((x) => {
      remaining -= x.weight;
      return remaining < 0;
    }) ?? choices[choices.length - 1];
  // node cannot send informational or out-of-range codes as a final status
  if (!chosen || chosen.code < 200 || chosen.code > 999) return invalid;
  return statusReply(chosen.code);
}

function viewRedirect(kind: 'redirect' | 'relative' | 'absolute'): Handler {
  return (c) => {
    const n = Number(c.params.n);
    if (!/^\d+$/.test(c.params.n ?? '') || n < 1) {
      return werkzeugError(
        500,
        'Internal Server Error',
        'The server encountered an internal error.',
      );
    }
    const absolute =
      kind === 'absolute' ||
      (kind === 'redirect' && c.query.get('absolute')?.toLowerCase() === 'true');
    const base = absolute ? `${c.scheme}://${c.host}` : '';
    const next = n === 1 ? '/get' : `/${absolute ? 'absolute' : 'relative'}-redirect/${n - 1}`;
    if (kind === 'relative') return text(302, '', 'text/html; charset=utf-8', { Location: next });
    return flaskRedirect(`${base}${next}`);
  };
}

function viewRedirectTo(c: Ctx): Reply {
  const args = new Map([...c.query].map(([k, v]) => [k.toLowerCase(), v]));
  const asked = Number(args.get('status_code'));
  const status = asked >= 300 && asked < 400 ? asked : 302;
  return text(status, '', 'text/html; charset=utf-8', { Location: args.get('url') ?? '' });
}

function cookieJar(c: Ctx): Reply {
  const showEnv = c.query.has('show_env');
  const cookies = Object.entries(c.cookies).filter(([k]) => showEnv || !ENV_COOKIES.has(k));
  return binJson({ cookies: Object.fromEntries(cookies) });
}

function setCookies(c: Ctx, pairs: [string, string][]): Reply {
  const secure = c.scheme === 'https' ? '; Secure' : '';
  return flaskRedirect('/cookies', 302, {
    'Set-Cookie': pairs.map(([k, v]) => `${k}=${v}${secure}; Path=/`),
  });
}

function deleteCookies(c: Ctx): Reply {
  const names = [...new Set(c.query.keys())];
  return flaskRedirect('/cookies', 302, {
    'Set-Cookie': names.map(
      (k) => `${k}=; Expires=Thu, 01-Jan-1970 00:00:00 GMT; Max-Age=0; Path=/`,
    ),
  });
}

function basicAuth(hidden: boolean): Handler {
  return (c) => {
    const creds = basicCredentials(c);
    if (!creds || creds.user !== c.params.user || creds.pass !== c.params.passwd) {
      return statusReply(hidden ? 404 : 401);
    }
    return binJson({ authenticated: true, user: c.params.user });
  };
}

function bearer(c: Ctx): Reply {
  const auth = c.headers.authorization;
  const m = /^Bearer\s+(.*)$/.exec(auth ?? '');
  if (!m) return text(401, '', 'text/html; charset=utf-8', { 'WWW-Authenticate': 'Bearer' });
  return binJson({ authenticated: true, token: m[1] });
}

function digestHash(data: string, algorithm: string | undefined): string {
  const name = algorithm === 'SHA-256' ? 'sha256' : algorithm === 'SHA-512' ? 'sha512' : 'md5';
  return createHash(name).update(data).digest('hex');
}

function digestAuth(c: Ctx): Reply {
  const { user = '', passwd = '', qop: qopParam } = c.params;
  const algorithm = ['MD5', 'SHA-256', 'SHA-512'].includes(c.params.algorithm ?? '')
    ? (c.params.algorithm as string)
    : 'MD5';
  const qop = qopParam === 'auth' || qopParam === 'auth-int' ? qopParam : undefined;
  const staleAfter = c.params.stale_after ?? 'never';
  const requireCookie = ['1', 't', 'true'].includes(
    (c.query.get('require-cookie') ?? '').toLowerCase(),
  );
  const challenge = (): Reply => {
    const nonce = digestHash(
      `${c.remote}:${Date.now()}:${randomBytes(10).toString('hex')}`,
      algorithm,
    );
    const opaque = digestHash(randomBytes(10).toString('hex'), algorithm);
    const header = `Digest realm="me@kennethreitz.com", nonce="${nonce}", qop="${qop ?? 'auth, auth-int'}", opaque="${opaque}", algorithm=${algorithm}, stale=FALSE`;
    return text(401, '', 'text/html; charset=utf-8', {
      'WWW-Authenticate': header,
      'Set-Cookie': [`stale_after=${staleAfter}; Path=/`, 'fake=fake_value; Path=/'],
    });
  };
  const raw = c.headers.authorization ?? '';
  if (!/^digest\s/i.test(raw) || (requireCookie && !c.headers.cookie)) return challenge();
  if (requireCookie && c.cookies.fake !== 'fake_value') {
    return binJson({ errors: ['missing cookie set on challenge'] }, 403, {
      'Set-Cookie': 'fake=fake_value; Path=/',
    });
  }
  const creds = Object.fromEntries(
    [...raw.slice(7).matchAll(/([\w-]+)=(?:"([^"]*)"|([^\s,]+))/g)].map((m) => [
      m[1],
      m[2] ?? m[3] ?? '',
    ]),
  ) as Record<string, string | undefined>;
  const algo = creds.algorithm;
  const ha1 = digestHash(`${creds.username ?? ''}:${creds.realm ?? ''}:${passwd}`, algo);
  const a2 =
    creds.qop === 'auth-int'
      ? `${c.method}:${c.path}:${digestHash(c.body.toString('latin1'), algo)}`
      : `${c.method}:${c.path}`;
  const ha2 = digestHash(a2, algo);
  const expected =
    creds.qop === 'auth' || creds.qop === 'auth-int'
      ? digestHash(`${ha1}:${creds.nonce}:${creds.nc}:${creds.cnonce}:${creds.qop}:${ha2}`, algo)
      : digestHash(`${ha1}:${creds.nonce ?? ''}:${ha2}`, algo);
  if (creds.response !== expected) return challenge();
  return binJson({ authenticated: true, user }, 200, { 'Set-Cookie': 'fake=fake_value; Path=/' });
}

async function delay(c: Ctx): Promise<Reply> {
  const seconds = Number(c.params.delay);
  if (!Number.isFinite(seconds)) {
    return werkzeugError(500, 'Internal Server Error', 'The server encountered an internal error.');
  }
  await sleep(Math.max(0, Math.min(seconds, 10)) * 1000, undefined, { signal: c.signal });
  return binJson(echo(c, ['url', 'args', 'form', 'data', 'origin', 'headers', 'files']));
}

/** Seeded bytes are deterministic per seed, but not Python's random.randint sequence. */
function bytes(c: Ctx): Reply {
  const n = Math.min(Number(c.params.n), 100 * 1024);
  const seed = c.query.get('seed');
  let body: Buffer;
  if (seed === null) body = randomBytes(n);
  else {
    let s = Number.parseInt(seed, 10) >>> 0;
    body = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = Math.imul(s ^ (s >>> 15), 1 | s);
      t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
      body[i] = (t ^ (t >>> 14)) & 0xff;
    }
  }
  return text(200, body, 'application/octet-stream');
}

function encoded(kind: 'gzip' | 'deflate' | 'br', flag: string): Handler {
  return (c) => {
    const raw = Buffer.from(
      pyJson(echo(c, ['origin', 'headers'], { method: c.method, [flag]: true })),
    );
    const body =
      kind === 'gzip'
        ? gzipSync(raw)
        : kind === 'deflate'
          ? deflateSync(raw)
          : brotliCompressSync(raw);
    return text(200, body, 'application/json', { 'Content-Encoding': kind });
  };
}

function responseHeaders(c: Ctx): Reply {
  const fromQuery = semiflatten(c.query);
  let length = 0;
  for (;;) {
    const body = pyJson({
      'Content-Length': String(length),
      'Content-Type': 'application/json',
      ...fromQuery,
    });
    if (Buffer.byteLength(body) === length) {
      const headers: HeaderMap = { 'Content-Type': 'application/json' };
      for (const [k, v] of Object.entries(fromQuery)) headers[k] = v;
      return { status: 200, headers, body };
    }
    length = Buffer.byteLength(body);
  }
}

function cache(c: Ctx): Reply {
  if (c.headers['if-modified-since'] || c.headers['if-none-match']) return statusReply(304);
  return binJson(echo(c, ['url', 'args', 'headers', 'origin']), 200, {
    'Last-Modified': new Date().toUTCString(),
    ETag: randomUUID().replaceAll('-', ''),
  });
}

function etag(c: Ctx): Reply {
  const tag = c.params.etag ?? '';
  const list = (h: string | undefined) =>
    (h ?? '')
      .split(',')
      .map((p) => p.trim().replace(/^W\//, '').replace(/^"|"$/g, ''))
      .filter(Boolean);
  const noneMatch = list(c.headers['if-none-match']);
  const match = list(c.headers['if-match']);
  if (noneMatch.length > 0 && (noneMatch.includes(tag) || noneMatch.includes('*'))) {
    return { ...statusReply(304), headers: { ETag: tag } };
  }
  if (noneMatch.length === 0 && match.length > 0 && !match.includes(tag) && !match.includes('*')) {
    return statusReply(412);
  }
  return binJson(echo(c, ['url', 'args', 'headers', 'origin']), 200, { ETag: tag });
}

function links(c: Ctx): Reply {
  const n = Math.min(Math.max(1, Number(c.params.n)), 200);
  const offset = Number(c.params.offset);
  const items = Array.from({ length: n }, (_, i) =>
    i === offset ? `${i} ` : `<a href='/links/${n}/${i}'>${i}</a> `,
  );
  return text(
    200,
    `<html><head><title>Links</title></head><body>${items.join('')}</body></html>`,
    'text/html; charset=utf-8',
  );
}

function stream(c: Ctx): Reply {
  const n = Math.min(Number(c.params.n), 100);
  const base = sortKeys(echo(c, ['url', 'args', 'headers', 'origin'])) as Record<string, unknown>;
  const lines = Array.from({ length: n }, (_, id) => `${JSON.stringify({ ...base, id })}\n`);
  return text(200, lines.join(''), 'application/json');
}

const SLIDESHOW = {
  slideshow: {
    author: 'Yours Truly',
    date: 'date of publication',
    slides: [
      { title: 'Wake up to WonderWidgets!', type: 'all' },
      {
        items: ['Why <em>WonderWidgets</em> are great', 'Who <em>buys</em> WonderWidgets'],
        title: 'Overview',
        type: 'all',
      },
    ],
    title: 'Sample Slide Show',
  },
};

const SLIDESHOW_XML = `<?xml version='1.0' encoding='us-ascii'?>

<!--  A SAMPLE set of slides  -->

<slideshow 
    title="Sample Slide Show"
    date="Date of publication"
    author="Yours Truly"
    >

    <!-- TITLE SLIDE -->
    <slide type="all">
      <title>Wake up to WonderWidgets!</title>
    </slide>

    <!-- OVERVIEW -->
    <slide type="all">
        <title>Overview</title>
        <item>Why <em>WonderWidgets</em> are great</item>
        <item/>
        <item>Who <em>buys</em> WonderWidgets</item>
    </slide>

</slideshow>`;

const MOBY_HTML = `<!DOCTYPE html>
<html>
  <head>
  </head>
  <body>
      <h1>Herman Melville - Moby-Dick</h1>

      <div>
        <p>
          Availing himself of the mild, summer-cool weather that now reigned in these latitudes, and in preparation for the peculiarly active pursuits shortly to be anticipated, Perth, the begrimed, blistered old blacksmith, had not removed his portable forge to the hold again, after concluding his contributory work for Ahab's leg, but still retained it on deck, fast lashed to ringbolts by the foremast; being now almost incessantly invoked by the headsmen, and harpooneers, and bowsmen to do some little job for them; altering, or repairing, or new shaping their various weapons and boat furniture.
        </p>
      </div>
  </body>
</html>`;

const FORMS_POST_HTML = `<!DOCTYPE html>
<html>
  <head>
  </head>
  <body>
  <form method="post" action="/post">
   <p><label>Customer name: <input name="custname"></label></p>
   <p><label>Telephone: <input type=tel name="custtel"></label></p>
   <p><label>E-mail address: <input type=email name="custemail"></label></p>
   <fieldset>
    <legend> Pizza Size </legend>
    <p><label> <input type=radio name=size value="small"> Small </label></p>
    <p><label> <input type=radio name=size value="medium"> Medium </label></p>
    <p><label> <input type=radio name=size value="large"> Large </label></p>
   </fieldset>
   <fieldset>
    <legend> Pizza Toppings </legend>
    <p><label> <input type=checkbox name="topping" value="bacon"> Bacon </label></p>
    <p><label> <input type=checkbox name="topping" value="cheese"> Extra Cheese </label></p>
    <p><label> <input type=checkbox name="topping" value="onion"> Onion </label></p>
    <p><label> <input type=checkbox name="topping" value="mushroom"> Mushroom </label></p>
   </fieldset>
   <p><label>Preferred delivery time: <input type=time min="11:00" max="21:00" step="900" name="delivery"></label></p>
   <p><label>Delivery instructions: <textarea name="comments"></textarea></label></p>
   <p><button>Submit order</button></p>
  </form>
  </body>
</html>`;

const HTTPBIN_INDEX = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="UTF-8"><title>httpbin.org</title></head>
<body>
<h2>httpbin.org</h2>
<p>A simple HTTP Request &amp; Response Service.</p>
<ul>
<li><a href="/get">/get</a></li><li><a href="/post">/post</a></li><li><a href="/anything">/anything</a></li>
<li><a href="/headers">/headers</a></li><li><a href="/cookies">/cookies</a></li><li><a href="/forms/post">/forms/post</a></li>
</ul>
</body>
</html>`;

function httpbinRoutes(): Route[] {
  const html =
    (body: string): Handler =>
    () =>
      text(200, body, 'text/html; charset=utf-8');
  return [
    route('GET', '/', html(HTTPBIN_INDEX)),
    route('GET', '/html', html(MOBY_HTML)),
    route('GET', '/forms/post', html(FORMS_POST_HTML)),
    route('GET', '/json', () => binJson(SLIDESHOW)),
    route('GET', '/xml', () => text(200, SLIDESHOW_XML, 'application/xml')),
    route('GET', '/robots.txt', () => text(200, 'User-agent: *\nDisallow: /deny\n', 'text/plain')),
    route('GET', '/ip', (c) => binJson({ origin: origin(c) })),
    route('GET', '/uuid', () => binJson({ uuid: randomUUID() })),
    route('GET', '/headers', (c) => binJson(echo(c, ['headers']))),
    route('GET', '/user-agent', (c) => binJson({ 'user-agent': c.headers['user-agent'] ?? null })),
    route('GET', '/get', (c) => binJson(echo(c, ['url', 'args', 'headers', 'origin']))),
    route(ANY, '/anything', (c) => binJson(echo(c, [...BODY_KEYS, 'method']))),
    route(ANY, '/anything/*', (c) => binJson(echo(c, [...BODY_KEYS, 'method']))),
    ...['POST', 'PUT', 'PATCH', 'DELETE'].map((m) =>
      route(m, `/${m.toLowerCase()}`, (c) => binJson(echo(c, BODY_KEYS))),
    ),
    route('GET', '/gzip', encoded('gzip', 'gzipped')),
    route('GET', '/deflate', encoded('deflate', 'deflated')),
    route('GET', '/brotli', encoded('br', 'brotli')),
    route('GET', '/redirect/:n', viewRedirect('redirect')),
    route('GET', '/relative-redirect/:n', viewRedirect('relative')),
    route('GET', '/absolute-redirect/:n', viewRedirect('absolute')),
    route(ANY, '/redirect-to', viewRedirectTo),
    route(ANY, '/status/:codes', viewStatus),
    route(['GET', 'POST'], '/response-headers', responseHeaders),
    route('GET', '/cookies', cookieJar),
    route('GET', '/cookies/set', (c) => setCookies(c, [...new Map(c.query)])),
    route('GET', '/cookies/set/:name/:value', (c) =>
      setCookies(c, [[c.params.name ?? '', c.params.value ?? '']]),
    ),
    route('GET', '/cookies/delete', deleteCookies),
    route('GET', '/basic-auth/:user/:passwd', basicAuth(false)),
    route('GET', '/hidden-basic-auth/:user/:passwd', basicAuth(true)),
    route('GET', '/bearer', bearer),
    route('GET', '/digest-auth/:qop/:user/:passwd', digestAuth),
    route('GET', '/digest-auth/:qop/:user/:passwd/:algorithm', digestAuth),
    route('GET', '/digest-auth/:qop/:user/:passwd/:algorithm/:stale_after', digestAuth),
    route('GET', '/delay/:delay', delay),
    route('GET', '/bytes/:n', (c) => (/^\d+$/.test(c.params.n ?? '') ? bytes(c) : notFound(c))),
    route('GET', '/stream/:n', (c) => (/^\d+$/.test(c.params.n ?? '') ? stream(c) : notFound(c))),
    route('GET', '/links/:n/:offset', links),
    route('GET', '/links/:n', (c) => flaskRedirect(`/links/${c.params.n}/0`)),
    route('GET', '/cache', cache),
    route('GET', '/cache/:value', (c) =>
      binJson(echo(c, ['url', 'args', 'headers', 'origin']), 200, {
        'Cache-Control': `public, max-age=${c.params.value}`,
      }),
    ),
    route('GET', '/etag/:etag', etag),
    route('GET', '/base64/:value', (c) =>
      text(
        200,
        Buffer.from(c.params.value ?? '', 'base64url').toString('utf8'),
        'text/html; charset=utf-8',
      ),
    ),
  ];
}

// ---------------------------------------------------------------------------------------
// test.k6.io: a PHP site with a session-bound CSRF token on its login form
// ---------------------------------------------------------------------------------------

const K6_USERS: Record<string, { password: string; uid: string; sid: string }> = {
  admin: { password: '123', uid: '3221', sid: '39b77ac6-39c4-4c43-98b3-6b2816682036' },
  test_user: { password: '1234', uid: '2233', sid: '45b77ac6-39c4-4c43-98b3-6b2816682036' },
};
const K6_MESSAGES: Record<string, [string, string][]> = {
  admin: [
    ['DenyHosts', 'DenyHosts report on test.k6.io'],
    ['Twitter', 'LoadImpact is now following you on Twitter'],
    ['Mail Delivery Subsystem', 'Delivery Status Notification (Failure)'],
  ],
  test_user: [['Google.com', "You're hired!"]],
};

function phpPage(title: string, inner: string): string {
  return `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html>
<head>
<title>${title}</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<link rel="icon" href="/static/favicon.ico" sizes="32x32">
</head>
<body>
${inner}
<p><small>Imitation page. Copyright &copy; ${new Date().getUTCFullYear()}, k6.io</small></p>

</body>
</html>
`;
}

const htmlEscape = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#039;');

const TEST_SITE_INDEX = `<!DOCTYPE html>
<html lang="en">
<head>
    <meta charset="UTF-8">
    <link rel="icon" href="/static/favicon.ico" sizes="32x32">
    <title>Demo website for load testing</title>
</head>
<body>
<main class="page">
    <h1 class="title">test.<span class="text-blue">k6</span>.io</h1>
    <p class="description">Collection of simple web-pages suitable for load testing.</p>
    <h2 class="heading-underlined">Public pages</h2>
    <table><tbody>
    <tr><td>GET</td><td><a href="/contacts.php">/contacts.php</a></td><td>Short public page.</td></tr>
    <tr><td>GET</td><td><a href="/news.php">/news.php</a></td><td>Longer public page (slower)</td></tr>
    <tr><td>GET</td><td><a href="/pi.php?decimals=3">/pi.php?decimals=3</a></td><td>Calculating &pi; decimals</td></tr>
    <tr><td>GET+POST</td><td><a href="/flip_coin.php">/flip_coin.php</a></td><td>Coin flip game</td></tr>
    </tbody></table>
    <h2 class="heading-underlined">Authenticated pages</h2>
    <table><tbody>
    <tr><td>GET+POST</td><td><a href="/my_messages.php">/my_messages.php</a></td><td>Login form + authenticated page</td></tr>
    </tbody></table>
    <pre><code class="code language-js">// "Welcome to the k6.io demo site!"</code></pre>
</main>
</body>
</html>
`;

const CONTACTS = `<p><a href="/">&lt; Back</a></p>

<h3>Contact us</h3>
<address>
k6 (Load Impact AB)<br>
G&ouml;tgatan 14<br>
118 46 Stockholm, Sweden<br>
<b>support@k6.io</b><br>
</address>
`;

const NEWS = `<p><a href="/">&lt; Back</a></p>

<h3>In the news</h3>

<h4>April the 7<sup>th</sup>, 1969</h4>
<p>The Internet's symbolic birth date: publication of RFC 1.</p>

<h4>April the 4<sup>th</sup>, 1975</h4>
<p>Microsoft is founded as a partnership between Bill Gates and Paul Allen
in Albuquerque, New Mexico</p>

<h4>April the 1<sup>st</sup>, 1976</h4>
<p>Apple Inc. is formed by Steve Jobs and Steve Wozniak.</p>
`;

function phpSession(c: Ctx): { id: string; data: { csrftoken?: string }; fresh: boolean } {
  const id = c.cookies.PHPSESSID;
  const known = id ? c.state.phpSessions.get(id) : undefined;
  if (id && known) return { id, data: known, fresh: false };
  const created = randomBytes(13).toString('hex');
  const data = {};
  c.state.phpSessions.set(created, data);
  return { id: created, data, fresh: true };
}

function myMessages(c: Ctx): Reply {
  const session = phpSession(c);
  const csrftoken = Buffer.from(String(randomInt(100000000, 1000000000))).toString('base64');
  session.data.csrftoken = csrftoken;
  const user = Object.entries(K6_USERS).find(
    ([, u]) => u.uid === c.cookies.uid && u.sid === c.cookies.sid,
  )?.[0];
  const hidden = `<input type="hidden" name="redir" value="1"> \n<input type="hidden" name="csrftoken" value="${csrftoken}">`;
  const inner = user
    ? `<p><a href="/">&lt; Back</a></p>

<h2>Welcome, ${user}!</h2>

<table cellpadding="3" cellspacing="0" border="1" width="50%">
<tr>
  <td width="1%"><b>#</b></td><td><b>From:</b></td><td><b>Subject:</b></td>
</tr>
${(K6_MESSAGES[user] ?? []).map(([from, subject], i) => `<tr>\n  <td>${i + 1}</td>\n  <td>${htmlEscape(from)}</td>\n  <td>${htmlEscape(subject)}</td>\n  </tr>`).join('')}
</table>
<br> 
<form method="POST" action="/login.php">
${hidden}
<input type="submit" value="Logout">
</form>
`
    : `<p><a href="/">&lt; Back</a></p>

<h2>Unauthorized</h2>
<p><small>Hint: try <code>admin</code>/<code>123</code> or
<code>test_user</code>/<code>1234</code></small></p>

<form method="POST" action="/login.php">
${hidden}
<table cellpadding="5" cellspacing="0" border="0" width="1%">
<tr>
  <td>Login:</td><td><input type="text" name="login" autocomplete="off"></td>
</tr>
<tr>
  <td>Password:</td><td><input type="password" name="password" autocomplete="off"></td>
</tr>
</table>
<input type="submit" value="Go!">
</form>
`;
  const headers: HeaderMap = session.fresh
    ? { 'Set-Cookie': `PHPSESSID=${session.id}; path=/` }
    : {};
  return text(200, phpPage('My messages', inner), 'text/html; charset=UTF-8', headers);
}

function phpCookie(name: string, value: string): string {
  const expires = new Date(Date.now() + 3600_000).toUTCString();
  return `${name}=${value}; expires=${expires}; Max-Age=3600; path=/; HttpOnly`;
}

function loginPhp(c: Ctx): Reply {
  const form = c.method === 'POST' ? c.parsed.form : {};
  const csrftoken = formValue(form, 'csrftoken') ?? '<not set>';
  const login = formValue(form, 'login') || undefined;
  const password = formValue(form, 'password') || undefined;
  const sessionToken = c.cookies.PHPSESSID
    ? c.state.phpSessions.get(c.cookies.PHPSESSID)?.csrftoken
    : undefined;
  const validToken = sessionToken !== undefined && sessionToken === csrftoken;
  const account = login ? K6_USERS[login] : undefined;
  const loggedIn = validToken && !!account && account.password === password;
  const cookies =
    loggedIn && account
      ? [phpCookie('uid', account.uid), phpCookie('sid', account.sid)]
      : [phpCookie('uid', 'bad'), phpCookie('sid', 'bad')];
  const headers: HeaderMap = { 'Set-Cookie': cookies };
  const redir = formValue(form, 'redir') !== undefined;
  if (redir) headers.Location = '/my_messages.php';
  if (!validToken) {
    const body = `error: invalid csrf token\ntoken: ${csrftoken}\nsession: ${sessionToken ?? ''}`;
    return text(403, body, 'text/plain', headers);
  }
  const message = !login
    ? 'error: no login!'
    : !password
      ? 'error: no password!'
      : loggedIn
        ? `user ${login} successfully authorized.`
        : 'error: invalid login/password combination!';
  return text(
    redir ? 302 : 200,
    phpPage('Login', `  ${message}`),
    'text/html; charset=UTF-8',
    headers,
  );
}

function flipCoin(c: Ctx): Reply {
  const bet = htmlEscape((c.query.get('bet') ?? '').replace(/<[^>]*>/g, '')) || 'heads';
  const result = randomInt(2) === 0 ? 'heads' : 'tails';
  const inner = `<p><a href="/">&lt; Back</a></p>
<h2>You ${result === bet ? 'won' : 'lost'}!</h2>
<p>Your bet: ${bet}.</p>
<p>Toss result: ${result}!</p>

<form method="GET" action="/flip_coin.php">
<input type="hidden" name="bet" value="heads">
<input type="submit" value="Bet on heads!">
</form>

<form method="GET" action="/flip_coin.php">
<input type="hidden" name="bet" value="tails">
<input type="submit" value="Bet on tails!">
</form>
`;
  return text(200, phpPage(`Flip coin. Your choice is ${bet}`, inner), 'text/html; charset=UTF-8');
}

function piPhp(c: Ctx): Reply {
  const pi = '3.14159265358979323846264338327950288';
  const asked = Number.parseInt(c.query.get('decimals') ?? '', 10);
  const decimals = Number.isNaN(asked) || asked === 0 ? 2 : asked;
  return text(200, pi.slice(0, Math.max(0, 2 + decimals)), 'text/plain;charset=UTF-8');
}

function testSiteRoutes(): Route[] {
  const page =
    (title: string, inner: string): Handler =>
    () =>
      text(200, phpPage(title, inner), 'text/html; charset=UTF-8');
  const php = ['GET', 'POST'];
  return [
    route('GET', '/', () => text(200, TEST_SITE_INDEX, 'text/html; charset=UTF-8'), HOST.testSite),
    route(php, '/contacts.php', page('Contacts', CONTACTS)),
    route(php, '/news.php', page('News', NEWS)),
    route(php, '/pi.php', piPhp),
    route(php, '/flip_coin.php', flipCoin),
    route(php, '/my_messages.php', myMessages),
    route(php, '/login.php', loginPhp),
  ];
}

// ---------------------------------------------------------------------------------------
// test-api.k6.io: Django REST framework with JWT, session and basic auth
// ---------------------------------------------------------------------------------------

interface ApiUser {
  id: number;
  username: string;
  password: string;
  first_name: string;
  last_name: string;
  email: string;
  date_joined: string;
}

interface Croc {
  id: number;
  name: string;
  sex: string;
  date_of_birth: string;
  owner?: number;
}

const PUBLIC_CROCS: readonly Croc[] = [
  { id: 1, name: 'Bert', sex: 'M', date_of_birth: '2010-06-27' },
  { id: 2, name: 'Ed', sex: 'M', date_of_birth: '1995-02-27' },
  { id: 3, name: 'Lyle the Crocodile', sex: 'M', date_of_birth: '1985-03-03' },
  { id: 4, name: 'Solomon', sex: 'M', date_of_birth: '1993-12-25' },
  { id: 5, name: 'The gharial', sex: 'F', date_of_birth: '2018-01-01' },
  { id: 6, name: 'Sang Buaya', sex: 'F', date_of_birth: '2006-01-28' },
  { id: 7, name: 'Sobek', sex: 'F', date_of_birth: '1854-09-02' },
  { id: 8, name: 'Curious George', sex: 'M', date_of_birth: '1981-01-03' },
];

function drf(value: unknown, status = 200, headers: HeaderMap = {}): Reply {
  return text(status, JSON.stringify(value), 'application/json', { Vary: 'Accept', ...headers });
}

function crocJson(croc: Croc) {
  const today = new Date();
  const [y, m, d] = [0, 5, 8].map((i, k) => Number(croc.date_of_birth.slice(i, i + (k ? 2 : 4))));
  const month = today.getUTCMonth() + 1;
  const before = month < (m ?? 0) || (month === m && today.getUTCDate() < (d ?? 0));
  const age = today.getUTCFullYear() - (y ?? 0) - (before ? 1 : 0);
  return { id: croc.id, name: croc.name, sex: croc.sex, date_of_birth: croc.date_of_birth, age };
}

/** DRF parses JSON, urlencoded and multipart bodies alike; a bad JSON body is a 400. */
function drfData(c: Ctx): Record<string, unknown> | Reply {
  if ((c.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
    try {
      const value = JSON.parse(c.body.toString('utf8') || 'null');
      return value && typeof value === 'object' ? value : {};
    } catch (err) {
      return drf({ detail: `JSON parse error - ${(err as Error).message}` }, 400);
    }
  }
  return Object.fromEntries(
    Object.entries(c.parsed.form).map(([k, v]) => [k, Array.isArray(v) ? v[v.length - 1] : v]),
  );
}

const isReply = (x: unknown): x is Reply =>
  !!x && typeof x === 'object' && 'status' in x && 'body' in x;
const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));

function jwt(secret: Buffer, payload: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

function verifyJwt(
  secret: Buffer,
  token: string,
  type: string,
): Record<string, unknown> | undefined {
  const [head, body, sig] = token.split('.');
  if (!head || !body || !sig) return undefined;
  if (createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url') !== sig)
    return undefined;
  try {
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    if (claims.token_type !== type || Number(claims.exp) * 1000 < Date.now()) return undefined;
    return claims;
  } catch {
    return undefined;
  }
}

function issueTokens(state: State, user: ApiUser) {
  const now = Math.floor(Date.now() / 1000);
  const claims = (type: string, ttl: number) => ({
    token_type: type,
    exp: now + ttl,
    iat: now,
    jti: randomBytes(16).toString('hex'),
    user_id: user.id,
  });
  return {
    refresh: jwt(state.jwtSecret, claims('refresh', 86_400)),
    access: jwt(state.jwtSecret, claims('access', 3600)),
  };
}

function apiAuth(c: Ctx): ApiUser | Reply {
  const users = [...c.state.apiUsers.values()];
  const unauthorized = (detail: string, extra: Record<string, unknown> = {}) =>
    drf({ detail, ...extra }, 401, { 'WWW-Authenticate': 'Bearer realm="api"' });
  const auth = c.headers.authorization ?? '';
  const bearerToken = /^bearer\s+(\S+)$/i.exec(auth)?.[1];
  if (bearerToken) {
    const claims = verifyJwt(c.state.jwtSecret, bearerToken, 'access');
    const user = claims && users.find((u) => u.id === claims.user_id);
    return (
      user ?? unauthorized('Given token not valid for any token type', { code: 'token_not_valid' })
    );
  }
  const basic = basicCredentials(c);
  if (basic) {
    const user = c.state.apiUsers.get(basic.user);
    return user && user.password === basic.pass ? user : unauthorized('Invalid username/password.');
  }
  const session = c.cookies.sessionid ? c.state.apiSessions.get(c.cookies.sessionid) : undefined;
  const user = session ? c.state.apiUsers.get(session) : undefined;
  return user ?? unauthorized('Authentication credentials were not provided.');
}

function register(c: Ctx): Reply {
  const data = drfData(c);
  if (isReply(data)) return data;
  const errors: Record<string, string[]> = {};
  const username = str(data.username);
  if (!username) errors.username = ['This field is required.'];
  else if (!/^[\w.@+-]{1,150}$/.test(username)) {
    errors.username = [
      'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.',
    ];
  } else if (c.state.apiUsers.has(username))
    errors.username = ['User with this username already exists!'];
  if (!str(data.password)) errors.password = ['This field is required.'];
  const email = str(data.email);
  if (email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email))
    errors.email = ['Enter a valid email address.'];
  else if (email && [...c.state.apiUsers.values()].some((u) => u.email === email)) {
    errors.email = ['User with this email already exists!'];
  }
  if (Object.keys(errors).length > 0) return drf(errors, 400);
  const user: ApiUser = {
    id: c.state.nextId(),
    username,
    password: str(data.password),
    first_name: str(data.first_name),
    last_name: str(data.last_name),
    email,
    date_joined: new Date().toISOString(),
  };
  c.state.apiUsers.set(username, user);
  return drf({ username, first_name: user.first_name, last_name: user.last_name, email }, 201);
}

function credentialsOf(c: Ctx): ApiUser | Reply {
  const data = drfData(c);
  if (isReply(data)) return data;
  const missing = ['username', 'password'].filter((k) => !str(data[k]));
  if (missing.length > 0)
    return drf(Object.fromEntries(missing.map((k) => [k, ['This field is required.']])), 400);
  const user = c.state.apiUsers.get(str(data.username));
  if (!user || user.password !== str(data.password)) {
    return drf({ detail: 'No active account found with the given credentials' }, 401);
  }
  return user;
}

function tokenLogin(c: Ctx): Reply {
  const user = credentialsOf(c);
  return isReply(user) ? user : drf(issueTokens(c.state, user));
}

function tokenRefresh(c: Ctx): Reply {
  const data = drfData(c);
  if (isReply(data)) return data;
  const claims = verifyJwt(c.state.jwtSecret, str(data.refresh), 'refresh');
  const user = claims && [...c.state.apiUsers.values()].find((u) => u.id === claims.user_id);
  if (!user) return drf({ detail: 'Token is invalid or expired', code: 'token_not_valid' }, 401);
  return drf({ access: issueTokens(c.state, user).access });
}

function sessionLogin(c: Ctx): Reply {
  const user = credentialsOf(c);
  if (isReply(user))
    return user.status === 401
      ? drf({ non_field_errors: ['Incorrect username or password.'] }, 400)
      : user;
  const sid = randomBytes(16).toString('hex');
  c.state.apiSessions.set(sid, user.username);
  const { id, username, first_name, last_name, email, date_joined } = user;
  return drf({ id, username, first_name, last_name, email, date_joined }, 200, {
    'Set-Cookie': [
      `csrftoken=${randomBytes(16).toString('hex')}; Path=/; SameSite=Lax`,
      `sessionid=${sid}; HttpOnly; Path=/; SameSite=Lax`,
    ],
  });
}

function crocFields(data: Record<string, unknown>, partial: boolean): Partial<Croc> | Reply {
  const errors: Record<string, string[]> = {};
  const out: Partial<Croc> = {};
  const has = (k: string) => data[k] !== undefined && data[k] !== null;
  if (has('name')) {
    const name = str(data.name);
    if (!name) errors.name = ['This field may not be blank.'];
    else if (name.length > 255)
      errors.name = ['Ensure this field has no more than 255 characters.'];
    else out.name = name;
  } else if (!partial) errors.name = ['This field is required.'];
  if (has('sex')) {
    const sex = str(data.sex);
    if (sex === 'M' || sex === 'F') out.sex = sex;
    else errors.sex = [`"${sex}" is not a valid choice.`];
  } else if (!partial) errors.sex = ['This field is required.'];
  if (has('date_of_birth')) {
    const dob = str(data.date_of_birth);
    const date = new Date(`${dob}T00:00:00Z`);
    const valid =
      /^\d{4}-\d{2}-\d{2}$/.test(dob) &&
      !Number.isNaN(date.getTime()) &&
      date.toISOString().startsWith(dob);
    if (valid) out.date_of_birth = dob;
    else
      errors.date_of_birth = [
        'Date has wrong format. Use one of these formats instead: YYYY-MM-DD.',
      ];
  } else if (!partial) errors.date_of_birth = ['This field is required.'];
  return Object.keys(errors).length > 0 ? drf(errors, 400) : out;
}

function myCrocs(c: Ctx): Reply {
  const user = apiAuth(c);
  if (isReply(user)) return user;
  const owned = [...c.state.crocs.values()].filter((x) => x.owner === user.id);
  if (c.method === 'GET' || c.method === 'HEAD') return drf(owned.map(crocJson));
  const data = drfData(c);
  if (isReply(data)) return data;
  const fields = crocFields(data, false);
  if (isReply(fields)) return fields;
  if (owned.length > 100) {
    return drf(
      [
        'Error: you can have up to 100 crocodiles on your account. You have already reached the limit.',
      ],
      400,
    );
  }
  const croc = { ...(fields as Omit<Croc, 'id'>), id: c.state.nextId(), owner: user.id };
  c.state.crocs.set(croc.id, croc);
  return drf(crocJson(croc), 201);
}

function myCroc(c: Ctx): Reply {
  const user = apiAuth(c);
  if (isReply(user)) return user;
  const croc = c.state.crocs.get(Number(c.params.id));
  if (!croc || croc.owner !== user.id) return drf({ detail: 'Not found.' }, 404);
  if (c.method === 'GET' || c.method === 'HEAD') return drf(crocJson(croc));
  if (c.method === 'DELETE') {
    c.state.crocs.delete(croc.id);
    return { status: 204, headers: { Vary: 'Accept' }, body: '' };
  }
  const data = drfData(c);
  if (isReply(data)) return data;
  const fields = crocFields(data, c.method === 'PATCH');
  if (isReply(fields)) return fields;
  Object.assign(croc, fields);
  return drf(crocJson(croc));
}

const TEST_API_INDEX = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="UTF-8"><title>Demo API for load testing</title></head>
<body>
<h1>test-api.k6.io</h1>
<p>Demo API for load testing.</p>
<ul>
<li><a href="/public/crocodiles/">/public/crocodiles/</a></li>
<li><a href="/public/crocodiles/1/">/public/crocodiles/1/</a></li>
<li>POST /user/register/</li><li>POST /auth/token/login/</li><li>POST /auth/cookie/login/</li>
<li><a href="/my/crocodiles/">/my/crocodiles/</a></li>
</ul>
</body>
</html>
`;

function testApiRoutes(): Route[] {
  return [
    route('GET', '/', () => text(200, TEST_API_INDEX, 'text/html; charset=utf-8'), HOST.testApi),
    route('GET', '/public/crocodiles/', () => drf(PUBLIC_CROCS.map(crocJson))),
    route('GET', '/public/crocodiles/:id/', (c) => {
      const croc = PUBLIC_CROCS.find((x) => String(x.id) === c.params.id);
      return croc ? drf(crocJson(croc)) : drf({ detail: 'Not found.' }, 404);
    }),
    route('POST', '/user/register/', register),
    route('POST', '/auth/token/login/', tokenLogin),
    route('POST', '/auth/token/refresh/', tokenRefresh),
    route('POST', '/auth/cookie/login/', sessionLogin),
    route('POST', '/auth/basic/login/', sessionLogin),
    ...['/auth/cookie/logout/', '/auth/basic/logout/'].map((p) =>
      route('POST', p, (c) => {
        if (c.cookies.sessionid) c.state.apiSessions.delete(c.cookies.sessionid);
        return { status: 200, headers: { Vary: 'Accept' }, body: '' };
      }),
    ),
    route(['GET', 'POST'], '/my/crocodiles/', myCrocs),
    route(['GET', 'PUT', 'PATCH', 'DELETE'], '/my/crocodiles/:id/', myCroc),
  ];
}

// ---------------------------------------------------------------------------------------
// QuickPizza (quickpizza.grafana.com): Go + chi, JSON written by encoding/json
// ---------------------------------------------------------------------------------------

interface Ingredient {
  ID: number;
  name: string;
  caloriesPerSlice: number;
  vegetarian: boolean;
}
interface Pizza {
  id: number;
  name: string;
  dough: { ID: number; name: string; caloriesPerSlice: number };
  ingredients: Ingredient[];
  tool: string;
}
interface QpUser {
  id: number;
  username: string;
  password: string;
  token: string;
}

const ing = (
  ID: number,
  name: string,
  caloriesPerSlice: number,
  vegetarian = true,
): Ingredient => ({
  ID,
  name,
  caloriesPerSlice,
  vegetarian,
});
const QP_CATALOG = {
  olive_oil: [
    ing(1, 'Extra-virgin olive oil', 40),
    ing(2, 'Light olive oil', 30),
    ing(3, 'Chili oil', 45),
  ],
  tomato: [
    ing(4, 'Tomato sauce', 20),
    ing(5, 'San Marzano tomatoes', 25),
    ing(6, 'Cherry tomatoes', 15),
  ],
  mozzarella: [
    ing(7, 'Mozzarella', 80),
    ing(8, 'Buffalo mozzarella', 90),
    ing(9, 'Vegan mozzarella', 70),
  ],
  topping: [
    ing(10, 'Pepperoni', 120, false),
    ing(11, 'Bacon', 130, false),
    ing(12, 'Ham', 90, false),
    ing(13, 'Anchovies', 60, false),
    ing(14, 'Mushrooms', 20),
    ing(15, 'Olives', 30),
    ing(16, 'Onion', 15),
    ing(17, 'Bell peppers', 15),
    ing(18, 'Basil', 5),
    ing(19, 'Spinach', 10),
    ing(20, 'Pineapple', 35),
    ing(21, 'Artichoke', 25),
  ],
} as const satisfies Record<string, readonly Ingredient[]>;
const QP_DOUGHS = [
  { ID: 1, name: 'Thin', caloriesPerSlice: 150 },
  { ID: 2, name: 'Thick', caloriesPerSlice: 250 },
  { ID: 3, name: 'Gluten free', caloriesPerSlice: 200 },
];
const QP_TOOLS = ['Knife', 'Pizza cutter', 'Scissors', 'Fork'];
const QP_ADJECTIVES = [
  'Spicy',
  'Cheesy',
  'Tasty',
  'Authentic',
  'Classic',
  'Epic',
  'Original',
  'Ultimate',
];
const QP_NAMES = [
  'Margherita',
  'Marinara',
  'Napoletana',
  'Quattro Stagioni',
  'Diavola',
  'Capricciosa',
];
const QP_QUOTES = [
  '"The pizza is the most important meal of the day." - Anonymous',
  '"You better cut the pizza in four pieces because I\'m not hungry enough to eat six." - Yogi Berra',
  '"Pizza is a lot like sex. When it\'s good, it\'s really good." - Anonymous',
];
const DEFAULT_QP_USER: QpUser = {
  id: 1,
  username: 'default',
  password: '12345678',
  token: 'abcdef0123456789',
};

/** encoding/json.Encoder: compact, HTML-escaped, newline-terminated. */
function goJson(value: unknown, status = 200, headers: HeaderMap = {}): Reply {
  const escaped = JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return text(status, `${escaped}\n`, 'application/json', headers);
}
const goError = (message: string, status: number) => goJson({ error: message }, status);
const AUTH_FAILED = () => goError('authentication failed', 401);

type GoType = 'int' | 'bool' | 'string' | 'strings';
/** json.Decoder with DisallowUnknownFields into a struct of the given field types. */
function goDecode(
  c: Ctx,
  schema: Record<string, GoType>,
  struct: string,
): Record<string, unknown> | Reply {
  const raw = c.body.toString('utf8');
  if (raw.trim() === '') return goError('EOF', 400);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return goError('invalid character in JSON body', 400);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return goError(
      `json: cannot unmarshal ${Array.isArray(value) ? 'array' : typeof value} into Go value of type ${struct}`,
      400,
    );
  }
  for (const [k, v] of Object.entries(value)) {
    const type = schema[k];
    if (!type) return goError(`json: unknown field "${k}"`, 400);
    const ok =
      v === null ||
      (type === 'int' && Number.isInteger(v)) ||
      (type === 'bool' && typeof v === 'boolean') ||
      (type === 'string' && typeof v === 'string') ||
      (type === 'strings' && Array.isArray(v) && v.every((x) => typeof x === 'string'));
    if (!ok)
      return goError(`json: cannot unmarshal ${typeof v} into Go struct field ${struct}.${k}`, 400);
  }
  return value as Record<string, unknown>;
}

function qpUser(c: Ctx): QpUser | undefined {
  const cookie = c.cookies.qp_user_token;
  let token = cookie?.length === 16 ? cookie : undefined;
  if (!token) {
    const [prefix = '', value = ''] = (c.headers.authorization ?? '').split(/ (.*)/s);
    if (['token', 'bearer'].includes(prefix.toLowerCase()) && value.length === 16) token = value;
  }
  if (token) return [...c.state.qpUsers.values()].find((u) => u.token === token);
  // the older QuickPizza identified callers by an X-User-ID header alone
  return c.headers['x-user-id'] ? DEFAULT_QP_USER : undefined;
}

function authed(handler: (c: Ctx, user: QpUser) => Reply | Promise<Reply>): Handler {
  return (c) => {
    const user = qpUser(c);
    return user ? handler(c, user) : AUTH_FAILED();
  };
}

const pick = <T>(list: readonly T[]): T => list[randomInt(list.length)]!;

function pizzaName(): string {
  const name = `${pick(QP_ADJECTIVES)} ${pick(QP_NAMES)}`;
  if (/^[AEIOU]/.test(name)) return `An ${name}`;
  return `${randomInt(2) === 0 ? 'The' : 'A'} ${name}`;
}

function recommendPizza(c: Ctx): Reply {
  const r = goDecode(
    c,
    {
      maxCaloriesPerSlice: 'int',
      mustBeVegetarian: 'bool',
      excludedIngredients: 'strings',
      excludedTools: 'strings',
      maxNumberOfToppings: 'int',
      minNumberOfToppings: 'int',
      customName: 'string',
    },
    'http.Restrictions',
  );
  if (isReply(r)) return r;
  const maxCalories = Number(r.maxCaloriesPerSlice) || 1000;
  const maxToppings = Number(r.maxNumberOfToppings) || 5;
  const minToppings = Number(r.minNumberOfToppings) || 3;
  const excluded = new Set((r.excludedIngredients as string[] | null) ?? []);
  const excludedTools = new Set((r.excludedTools as string[] | null) ?? []);
  const valid = (list: readonly Ingredient[]) =>
    list.filter((x) => !excluded.has(x.name) && (!r.mustBeVegetarian || x.vegetarian));
  const pools = (['olive_oil', 'tomato', 'mozzarella', 'topping'] as const).map((k) =>
    valid(QP_CATALOG[k]),
  );
  const tools = QP_TOOLS.filter((t) => !excludedTools.has(t));
  if (pools.some((p) => p.length === 0) || tools.length === 0) return { status: 500, body: '' };
  const [oils, tomatoes, mozzarellas, toppings] = pools as [
    Ingredient[],
    Ingredient[],
    Ingredient[],
    Ingredient[],
  ];
  const calories = (list: readonly Ingredient[]) =>
    list.reduce((sum, x) => sum + x.caloriesPerSlice, 0);
  let pizza: Omit<Pizza, 'id'> | undefined;
  for (let attempt = 0; attempt < 10; attempt++) {
    const extra =
      maxToppings - minToppings > 0
        ? randomInt(maxToppings - minToppings + 1)
        : maxToppings - minToppings;
    const chosen = [pick(oils), pick(tomatoes), pick(mozzarellas)];
    for (let i = 0; i < extra + minToppings; i++) chosen.push(pick(toppings));
    const unique = [...new Map(chosen.map((x) => [x.name, x])).values()];
    const custom = typeof r.customName === 'string' ? r.customName.slice(0, 64) : '';
    pizza = {
      name: custom || pizzaName(),
      dough: pick(QP_DOUGHS),
      ingredients: unique,
      tool: pick(tools),
    };
    if (calories(unique) <= maxCalories) break;
  }
  const stored: Pizza = { id: c.state.nextId(), ...(pizza as Omit<Pizza, 'id'>) };
  c.state.pizzas.set(stored.id, stored);
  return goJson({
    pizza: stored,
    calories: calories(stored.ingredients),
    vegetarian: stored.ingredients.every((x) => x.vegetarian),
  });
}

function createQpUser(c: Ctx): Reply {
  const body = goDecode(c, { id: 'int', username: 'string', password: 'string' }, 'model.User');
  if (isReply(body)) return body;
  const username = str(body.username);
  const password = str(body.password);
  const invalid = !username
    ? 'username field is empty'
    : username.length > 32
      ? 'username field is too long'
      : username === 'default'
        ? 'username field is invalid'
        : !password
          ? 'password is empty'
          : c.state.qpUsers.has(username)
            ? 'username already taken'
            : undefined;
  if (invalid) return goError(invalid, 400);
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const token = Array.from({ length: 16 }, () => pick([...alphabet])).join('');
  const user = { id: c.state.nextId(), username, password, token };
  c.state.qpUsers.set(username, user);
  return goJson({ id: user.id, username }, 201);
}

function qpLogin(c: Ctx): Reply {
  const body = goDecode(
    c,
    { username: 'string', password: 'string', csrf: 'string' },
    'http.loginData',
  );
  if (isReply(body)) return body;
  const setCookie = !!c.query.get('set_cookie');
  if (setCookie && (c.cookies.csrf_token ?? '') !== str(body.csrf))
    return goError('invalid csrf token', 401);
  const user = c.state.qpUsers.get(str(body.username));
  if (!user || user.password !== str(body.password)) return AUTH_FAILED();
  const headers: HeaderMap = setCookie
    ? {
        'Set-Cookie': [
          `qp_user_token=${user.token}; Path=/; SameSite=Strict`,
          'csrf_token=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Strict',
        ],
      }
    : {};
  return goJson({ token: user.token }, 200, headers);
}

function ratingsFor(c: Ctx, user: QpUser) {
  return [...c.state.ratings.values()].filter((x) => x.userId === user.id);
}
const ratingJson = (x: { id: number; stars: number; pizza_id: number }) => ({
  id: x.id,
  stars: x.stars,
  pizza_id: x.pizza_id,
});
const RATING_SCHEMA: Record<string, GoType> = { id: 'int', stars: 'int', pizza_id: 'int' };
const STARS_ERROR = 'number of stars must be between 1 and 5 (inclusive)';
const GLOBAL_FORBIDDEN = 'global operation not permitted for the default user';

function ratingRoutes(): Route[] {
  const byId = (c: Ctx, user: QpUser) => {
    const rating = c.state.ratings.get(Number(c.params.id));
    return rating && rating.userId === user.id ? rating : undefined;
  };
  const update: Handler = authed((c, user) => {
    const body = goDecode(c, RATING_SCHEMA, 'model.Rating');
    if (isReply(body)) return body;
    const stars = Number(body.stars ?? 0);
    if (stars < 1 || stars > 5) return goError(STARS_ERROR, 400);
    if (user.id === DEFAULT_QP_USER.id) return goError(GLOBAL_FORBIDDEN, 403);
    const rating = byId(c, user);
    if (!rating) return goError('rating not found', 400);
    rating.stars = stars;
    return goJson(ratingJson(rating));
  });
  return [
    route(
      'GET',
      '/api/ratings',
      authed((c, user) => goJson({ ratings: ratingsFor(c, user).map(ratingJson) })),
    ),
    route(
      'POST',
      '/api/ratings',
      authed((c, user) => {
        const body = goDecode(c, RATING_SCHEMA, 'model.Rating');
        if (isReply(body)) return body;
        const stars = Number(body.stars ?? 0);
        if (stars < 1 || stars > 5) return goError(STARS_ERROR, 400);
        const rating = {
          id: c.state.nextId(),
          stars,
          pizza_id: Number(body.pizza_id ?? 0),
          userId: user.id,
        };
        c.state.ratings.set(rating.id, rating);
        return goJson(ratingJson(rating), 201);
      }),
    ),
    route(
      'DELETE',
      '/api/ratings',
      authed((c, user) => {
        if (user.id === DEFAULT_QP_USER.id) return goError(GLOBAL_FORBIDDEN, 403);
        for (const r of ratingsFor(c, user)) c.state.ratings.delete(r.id);
        return { status: 204, body: '' };
      }),
    ),
    route(
      'GET',
      '/api/ratings/:id',
      authed((c, user) => {
        const rating = byId(c, user);
        return rating ? goJson(ratingJson(rating)) : goError('not found', 404);
      }),
    ),
    route(['PUT', 'PATCH'], '/api/ratings/:id', update),
    route(
      'DELETE',
      '/api/ratings/:id',
      authed((c, user) => {
        if (user.id === DEFAULT_QP_USER.id) return goError(GLOBAL_FORBIDDEN, 403);
        const rating = byId(c, user);
        if (rating) c.state.ratings.delete(rating.id);
        return { status: 204, body: '' };
      }),
    ),
  ];
}

/** Go's time.ParseDuration for the common single-unit forms; bare numbers are seconds. */
function goDuration(value: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)?$/.exec(value);
  if (!m) return undefined;
  const unit =
    { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000;
  return Number(m[1]) * unit;
}

/** textproto.CanonicalMIMEHeaderKey. */
const goCanonical = (name: string) =>
  name.toLowerCase().replace(/(^|-)([a-z])/g, (_, d, ch) => d + ch.toUpperCase());

function qpHttpTestingRoutes(): Route[] {
  const echoBody: Handler = (c) => text(200, c.body, c.headers['content-type'] ?? '');
  return [
    route(ANY, '/api/status/:status', (c) => {
      const status = Number(c.params.status);
      const ok = /^\d+$/.test(c.params.status ?? '') && status >= 200 && status <= 599;
      return { status: ok ? status : 400, body: '' };
    }),
    route('GET', '/api/bytes/:n', (c) =>
      text(
        200,
        randomBytes(Math.min(Number(c.params.n) || 0, 10 << 20)),
        'application/octet-stream',
      ),
    ),
    route('GET', '/api/delay/:delay', async (c) => {
      const ms = goDuration(c.params.delay ?? '');
      if (ms === undefined) return { status: 400, body: '' };
      await sleep(Math.min(ms, 10_000), undefined, { signal: c.signal });
      return { status: 200, body: '' };
    }),
    route('GET', '/api/get', () => ({ status: 200, body: '' })),
    route('DELETE', '/api/delete', () => ({ status: 200, body: '' })),
    route('POST', '/api/post', echoBody),
    route('PUT', '/api/put', echoBody),
    route('PATCH', '/api/patch', echoBody),
    route('GET', '/api/cookies', (c) => goJson({ cookies: c.cookies })),
    route('POST', '/api/cookies', (c) => ({
      status: 200,
      headers: { 'Set-Cookie': [...new Map(c.query)].map(([k, v]) => `${k}=${v}`) },
      body: '',
    })),
    route('GET', '/api/headers', (c) => {
      const headers = new Map<string, string>();
      for (let i = 0; i + 1 < c.rawHeaders.length; i += 2) {
        const key = goCanonical(c.rawHeaders[i]!);
        if (key === 'Host') continue;
        const prior = headers.get(key);
        headers.set(
          key,
          prior === undefined ? c.rawHeaders[i + 1]! : `${prior},${c.rawHeaders[i + 1]}`,
        );
      }
      headers.set('Host', c.host);
      return goJson({ headers: Object.fromEntries(headers) });
    }),
    route('GET', '/api/basic-auth/:username/:password', (c) => {
      const creds = basicCredentials(c);
      const { username = '', password = '' } = c.params;
      return goJson({
        user: username,
        password,
        authenticated: creds?.user === username && creds.pass === password,
      });
    }),
    route('GET', '/api/json', (c) =>
      goJson(Object.fromEntries([...new Map([...c.query].reverse())])),
    ),
    route('GET', '/api/xml', (c) => {
      const first = [...new Map([...c.query].reverse())].reverse();
      const esc = (s: string) =>
        htmlEscape(s)
          .replace(/&#039;/g, '&#39;')
          .replace(/&quot;/g, '&#34;');
      const params = first.map(
        ([k, v], i) =>
          `<params><key>${esc(k)}</key><value>${esc(v)}</value><index>${i}</index></params>`,
      );
      return text(200, `<response>${params.join('')}</response>`, 'application/xml');
    }),
  ];
}

const QP_INDEX = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>QuickPizza</title>
</head>
<body data-sveltekit-preload-data="hover">
<div style="display: contents"><h1>QuickPizza</h1><p>Looking to break out of your pizza routine?</p><button>Pizza, Please!</button></div>
</body>
</html>
`;

function quickPizzaRoutes(): Route[] {
  const list =
    (key: string, values: readonly unknown[]): Handler =>
    () =>
      goJson({ [key]: values });
  return [
    route('GET', '/', () => text(200, QP_INDEX, 'text/html; charset=utf-8'), HOST.quickPizza),
    route('GET', '/api/config', () => goJson({})),
    route('GET', '/api/quotes', list('quotes', QP_QUOTES)),
    route('GET', '/api/names', list('names', QP_NAMES)),
    route('GET', '/api/adjectives', list('adjectives', QP_ADJECTIVES)),
    route('GET', '/api/tools', authed(list('tools', QP_TOOLS))),
    route('GET', '/api/doughs', authed(list('doughs', QP_DOUGHS))),
    route(
      'GET',
      '/api/ingredients/:type',
      authed((c) => {
        const found = QP_CATALOG[c.params.type as keyof typeof QP_CATALOG];
        if (!found)
          return text(400, `Unknown ingredient "${c.params.type}"`, 'text/plain; charset=utf-8');
        return goJson({ ingredients: found });
      }),
    ),
    route('POST', '/api/pizza', authed(recommendPizza)),
    route(
      'GET',
      '/api/pizza/:id',
      authed((c) => {
        const pizza = c.state.pizzas.get(Number(c.params.id));
        return pizza ? goJson(pizza) : { status: 404, body: '' };
      }),
    ),
    route('POST', '/api/users', createQpUser),
    route('POST', '/api/users/token/login', qpLogin),
    route(
      'POST',
      '/api/users/token/logout',
      authed(() => ({
        status: 200,
        headers: {
          'Set-Cookie':
            'qp_user_token=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Strict',
        },
        body: '',
      })),
    ),
    route('POST', '/api/csrf-token', () => {
      const token = randomBytes(24).toString('base64url').replace(/[-_]/g, 'x').slice(0, 32);
      return {
        status: 200,
        headers: { 'Set-Cookie': `csrf_token=${token}; Path=/; SameSite=Strict` },
        body: '',
      };
    }),
    route(['GET', 'POST'], '/api/admin/login', (c) => {
      const user = c.query.get('user');
      const password = c.query.get('password');
      if (!user || !password) return { status: 400, body: '' };
      if (user !== 'admin' || password !== 'admin') return AUTH_FAILED();
      const token = randomBytes(10).toString('hex');
      c.state.adminTokens.add(token);
      return goJson({ token }, 200, {
        'Set-Cookie': `admin_token=${token}; Path=/; SameSite=Strict`,
      });
    }),
    route('GET', '/api/internal/recommendations', (c) => {
      if (!c.cookies.admin_token || !c.state.adminTokens.has(c.cookies.admin_token))
        return AUTH_FAILED();
      return goJson({ pizzas: [...c.state.pizzas.values()].slice(-15) });
    }),
    ...ratingRoutes(),
    ...qpHttpTestingRoutes(),
  ];
}

// ---------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------

interface State {
  nextId(): number;
  phpSessions: Map<string, { csrftoken?: string }>;
  apiUsers: Map<string, ApiUser>;
  apiSessions: Map<string, string>;
  crocs: Map<number, Croc>;
  jwtSecret: Buffer;
  qpUsers: Map<string, QpUser>;
  pizzas: Map<number, Pizza>;
  ratings: Map<number, { id: number; stars: number; pizza_id: number; userId: number }>;
  adminTokens: Set<string>;
}

function newState(): State {
  let id = 100;
  const seeded: ApiUser = {
    id: 2,
    username: 'user',
    password: 'test123!',
    first_name: '',
    last_name: '',
    email: '',
    date_joined: '2019-06-27T14:07:08.697Z',
  };
  return {
    nextId: () => ++id,
    phpSessions: new Map(),
    apiUsers: new Map([[seeded.username, seeded]]),
    apiSessions: new Map(),
    crocs: new Map(),
    jwtSecret: randomBytes(32),
    qpUsers: new Map([[DEFAULT_QP_USER.username, { ...DEFAULT_QP_USER }]]),
    pizzas: new Map(),
    ratings: new Map(),
    adminTokens: new Set(),
  };
}

function hostnameOf(host: string): string {
  const bare = host.startsWith('[')
    ? host.slice(0, host.indexOf(']') + 1)
    : host.replace(/:\d+$/, '');
  return bare.toLowerCase();
}

function snapshot(log: readonly ReceivedRequest[]): ReceivedLog {
  const requests = log.slice();
  const byPath: Record<string, number> = {};
  for (const r of requests) byPath[r.path] = (byPath[r.path] ?? 0) + 1;
  return {
    total: requests.length,
    requests,
    byPath,
    count: (f = {}) =>
      requests.filter(
        (r) =>
          (f.method === undefined || r.method === f.method.toUpperCase()) &&
          (f.path === undefined || r.path === f.path) &&
          (f.host === undefined || hostnameOf(r.host) === hostnameOf(f.host)),
      ).length,
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of req) chunks.push(chunk as Buffer);
  } catch {
    return undefined;
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, reply: Reply, c: Ctx): void {
  const headers: HeaderMap = {
    'Access-Control-Allow-Origin': (c.headers.origin as string | undefined) ?? '*',
    'Access-Control-Allow-Credentials': 'true',
    ...reply.headers,
  };
  const body = reply.body ?? '';
  const bodiless = reply.status === 204 || reply.status === 304;
  if (!bodiless) headers['Content-Length'] = String(Buffer.byteLength(body));
  res.writeHead(reply.status, headers);
  res.end(bodiless ? undefined : body);
}

export async function startStandIn(): Promise<StandIn> {
  const state = newState();
  const routes = [
    ...testSiteRoutes(),
    ...testApiRoutes(),
    ...quickPizzaRoutes(),
    ...httpbinRoutes(),
  ];
  const log: ReceivedRequest[] = [];
  const stop = new AbortController();

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const rawUrl = req.url ?? '/';
    const host = req.headers.host ?? '';
    const url = new URL(rawUrl, 'http://stand-in.invalid');
    log.push({ method, path: url.pathname, url: rawUrl, host });
    const body = await readBody(req);
    if (body === undefined || res.destroyed) return;
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    const c: Ctx = {
      method,
      path: url.pathname,
      rawUrl,
      query: url.searchParams,
      params: {},
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body,
      parsed: parseBody(req.headers['content-type'] ?? '', body),
      host,
      hostname: hostnameOf(host),
      remote: req.socket.remoteAddress ?? '',
      scheme: ((req.headers['x-forwarded-proto'] as string | undefined) ?? 'http').toLowerCase(),
      cookies: parseCookies(req.headers.cookie),
      state,
      signal: AbortSignal.any([stop.signal, gone.signal]),
    };
    let reply: Reply;
    try {
      reply = await dispatch(routes, c);
    } catch (err) {
      if (c.signal.aborted) return;
      reply = text(500, `stand-in error: ${(err as Error).message}\n`, 'text/plain; charset=utf-8');
    }
    if (!res.destroyed) send(res, reply, c);
  };

  const server = createServer((req, res) => {
    void serve(req, res);
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received: () => snapshot(log),
    close: async () => {
      stop.abort();
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
