/**
 * k6/http over undici: each VU keeps its own connections per origin (as each k6 VU does),
 * hostnames mapped by `hosts` connect to the mapped address while Host and TLS keep the
 * original name, and every response emits k6's http_req_* metrics with k6's tags.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { isAnyArrayBuffer } from 'node:util/types';
import zlib from 'node:zlib';
import { type Cheerio, load as loadHtml } from 'cheerio';
import type { AnyNode } from 'domhandler';
import { CookieJar as ToughJar } from 'tough-cookie';
import { type Dispatcher, Pool } from 'undici';
import { parseK6Duration } from './duration.js';
import { gjson } from './gjson.js';
import type { Tags } from './metrics.js';
import { IterationInterrupted } from './modules.js';
import type { Vu } from './vu.js';

/** A request to a host the environment does not allow: the run stops (nothing is sent). */
export class NotAllowedError extends Error {
  constructor(readonly host: string) {
    super(
      `target ${host} is not allowed by the environment: map it with --host NAME=ADDRESS to an allowed address, or add it to the environment's allowlist`,
    );
    this.name = 'NotAllowedError';
  }
}

const DEFAULT_TIMEOUT_MS = 60_000;

export interface FileData {
  readonly __k6file: true;
  data: Buffer;
  filename: string;
  content_type: string;
}

export interface RequestParams {
  headers?: Record<string, string>;
  tags?: Tags;
  timeout?: string | number;
  redirects?: number;
  cookies?: Record<string, string | { value: string; replace?: boolean }>;
  jar?: CookieJar | null;
  responseType?: 'text' | 'binary' | 'none';
  responseCallback?: ResponseCallback | null;
  auth?: string;
  compression?: string;
}

export interface ResponseCallback {
  readonly __k6expected: (status: number) => boolean;
}

interface UrlArgument {
  url: string;
  name: string;
}

/** k6's CookieJar over tough-cookie. */
export class CookieJar {
  readonly jar = new ToughJar(undefined, { looseMode: true });

  set(url: string, name: string, value: string, options: Record<string, unknown> = {}): void {
    let text = `${name}=${value}`;
    if (options.domain) text += `; Domain=${options.domain}`;
    if (options.path) text += `; Path=${options.path}`;
    if (options.expires) text += `; Expires=${options.expires}`;
    if (options.max_age !== undefined) text += `; Max-Age=${options.max_age}`;
    if (options.secure) text += '; Secure';
    if (options.http_only) text += '; HttpOnly';
    this.jar.setCookieSync(text, url);
  }

  cookiesForURL(url: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const cookie of this.jar.getCookiesSync(url)) {
      out[cookie.key] = [...(out[cookie.key] ?? []), cookie.value];
    }
    return out;
  }

  clear(url: string): void {
    for (const cookie of this.jar.getCookiesSync(url)) {
      this.jar.setCookieSync(
        `${cookie.key}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=${cookie.path ?? '/'}`,
        url,
      );
    }
  }

  delete(url: string, name: string): void {
    for (const cookie of this.jar.getCookiesSync(url)) {
      if (cookie.key !== name) continue;
      this.jar.setCookieSync(
        `${cookie.key}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=${cookie.path ?? '/'}`,
        url,
      );
    }
  }
}

function canonicalHeader(name: string): string {
  return name.replace(
    /(^|-)([a-z])/g,
    (_, dash: string, letter: string) => dash + letter.toUpperCase(),
  );
}

function bytesOf(body: unknown): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (isAnyArrayBuffer(body)) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return undefined;
}

function isFile(value: unknown): value is FileData {
  return typeof value === 'object' && value !== null && (value as FileData).__k6file === true;
}

/** A body object becomes a form, multipart when it holds a file (as in k6). */
function encodeBody(body: unknown, headers: Record<string, string>): Buffer | undefined {
  const bytes = bytesOf(body);
  if (bytes || body === undefined || body === null) return bytes;
  if (typeof body !== 'object') return Buffer.from(String(body), 'utf8');
  const entries = Object.entries(body as Record<string, unknown>);
  const hasType = Object.keys(headers).some((h) => h.toLowerCase() === 'content-type');
  if (entries.some(([, v]) => isFile(v))) {
    const boundary = `----loadline${Math.random().toString(16).slice(2)}`;
    const parts: Buffer[] = [];
    for (const [name, value] of entries) {
      let head = `--${boundary}\r\nContent-Disposition: form-data; name="${name}"`;
      if (isFile(value)) {
        head += `; filename="${value.filename}"\r\nContent-Type: ${value.content_type}`;
        parts.push(Buffer.from(`${head}\r\n\r\n`), value.data, Buffer.from('\r\n'));
      } else {
        parts.push(Buffer.from(`${head}\r\n\r\n${String(value)}\r\n`));
      }
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    if (!hasType) headers['Content-Type'] = `multipart/form-data; boundary=${boundary}`;
    return Buffer.concat(parts);
  }
  if (!hasType) headers['Content-Type'] = 'application/x-www-form-urlencoded';
  const form = new URLSearchParams();
  for (const [name, value] of entries) {
    if (Array.isArray(value)) for (const item of value) form.append(name, String(item));
    else form.append(name, String(value));
  }
  return Buffer.from(form.toString(), 'utf8');
}

function decode(body: Buffer, encoding: string | undefined): Buffer {
  switch (encoding?.toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(body);
    case 'deflate':
      return zlib.inflateSync(body);
    case 'br':
      return zlib.brotliDecompressSync(body);
    default:
      return body;
  }
}

/** k6's error codes for the failures a request can meet. */
function errorCodeOf(error: Error & { code?: string }): number {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 1212;
    case 'ECONNRESET':
      return 1220;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 1101;
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'ABORT_ERR':
      return 1050;
    default:
      return error.name === 'TimeoutError' ? 1050 : 1000;
  }
}

interface ConnectTiming {
  startedAt: number;
  connectedAt: number;
  secureAt: number;
}

/** The part of a run that http needs: mapped hosts, the allowlist, TLS and defaults. */
export interface HttpSettings {
  /** hostname (or hostname:port) → address or address:port */
  hosts: Record<string, string>;
  allowed: (host: string) => boolean;
  insecureSkipTLSVerify: boolean;
  userAgent: string;
  maxRedirects: number;
  discardResponseBodies: boolean;
  noConnectionReuse: boolean;
  batchPerHost: number;
  /** `batch`: requests of one http.batch in flight at once */
  batch: number;
  /** `throw`: a failed request throws instead of returning status 0 */
  throwErrors: boolean;
}

/** Where a URL's connections go: the mapped address, checked against the allowlist. */
export function connectAddress(url: URL, settings: HttpSettings): { host: string; port: number } {
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const mapped =
    settings.hosts[`${hostname}:${port}`] ??
    settings.hosts[hostname] ??
    Object.entries(settings.hosts).find(
      ([pattern]) => pattern.startsWith('*.') && hostname.endsWith(pattern.slice(1)),
    )?.[1];
  let host = hostname;
  let mappedPort = port;
  if (mapped) {
    const match = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(
      mapped.includes(':') && !mapped.includes('.') && !mapped.startsWith('[')
        ? `[${mapped}]`
        : mapped,
    );
    host = match?.[1] ?? mapped;
    if (match?.[2]) mappedPort = Number(match[2]);
  }
  if (!settings.allowed(host)) throw new NotAllowedError(host);
  return { host, port: mappedPort };
}

/** One VU's connections: a small pool per origin (batch runs requests side by side). */
export class VuConnections {
  readonly #pools = new Map<string, Pool>();
  lastConnect: ConnectTiming | undefined;

  constructor(private readonly settings: HttpSettings) {}

  poolFor(url: URL): Pool {
    const origin = url.origin;
    let pool = this.#pools.get(origin);
    if (pool) return pool;
    const { host, port } = connectAddress(url, this.settings);
    const servername = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const secure = url.protocol === 'https:';
    pool = new Pool(origin, {
      connections: this.settings.batchPerHost,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      connect: (_options, callback) => {
        const timing: ConnectTiming = { startedAt: performance.now(), connectedAt: 0, secureAt: 0 };
        this.lastConnect = timing;
        const socket = secure
          ? tls.connect({
              host,
              port,
              servername: net.isIP(servername) ? undefined : servername,
              rejectUnauthorized: !this.settings.insecureSkipTLSVerify,
              ALPNProtocols: ['http/1.1'],
            })
          : net.connect({ host, port });
        socket.setNoDelay(true);
        const fail = (error: Error) => callback(error, null);
        socket.once('error', fail);
        socket.once('connect', () => {
          timing.connectedAt = performance.now();
        });
        socket.once(secure ? 'secureConnect' : 'connect', () => {
          if (secure) timing.secureAt = performance.now();
          socket.off('error', fail);
          callback(null, socket);
        });
        return socket;
      },
    });
    this.#pools.set(origin, pool);
    return pool;
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
  }
}

export class K6Response {
  status = 0;
  status_text = '';
  proto = 'HTTP/1.1';
  headers: Record<string, string> = {};
  body: string | ArrayBuffer | null = null;
  error = '';
  error_code = 0;
  remote_ip = '';
  remote_port = 0;
  url: string;
  cookies: Record<string, Array<Record<string, unknown>>> = {};
  timings = {
    blocked: 0,
    connecting: 0,
    tls_handshaking: 0,
    sending: 0,
    waiting: 0,
    receiving: 0,
    duration: 0,
  };
  request: {
    method: string;
    url: string;
    headers: Record<string, string[]>;
    body: string;
    cookies: Record<string, unknown>;
  };
  #http: HttpModule | undefined;
  #json: unknown;

  constructor(method: string, url: string, http?: HttpModule) {
    this.url = url;
    this.request = { method, url, headers: {}, body: '', cookies: {} };
    this.#http = http;
  }

  json(selector?: string): unknown {
    if (typeof this.body !== 'string') {
      throw new Error(
        `cannot parse the body of ${this.url} as JSON: it is ${this.body === null ? 'empty (responseType none?)' : 'binary'}`,
      );
    }
    this.#json ??= JSON.parse(this.body);
    return selector === undefined ? this.#json : gjson(this.#json, selector);
  }

  html(selector?: string): Cheerio<AnyNode> {
    const root: Cheerio<AnyNode> = loadHtml(typeof this.body === 'string' ? this.body : '').root();
    return selector === undefined ? root : root.find(selector);
  }

  async submitForm(
    options: {
      formSelector?: string;
      fields?: Record<string, string>;
      submitSelector?: string;
      params?: RequestParams;
    } = {},
  ): Promise<K6Response> {
    const form = this.html(options.formSelector ?? 'form').first();
    if (form.length === 0)
      throw new Error(`submitForm: no form matches "${options.formSelector ?? 'form'}"`);
    const fields: Record<string, string> = {};
    form.find('input[name], select[name], textarea[name]').each((_, element) => {
      const item = form.find(element);
      const type = (item.attr('type') ?? '').toLowerCase();
      if (
        type === 'submit' ||
        ((type === 'checkbox' || type === 'radio') && item.attr('checked') === undefined)
      )
        return;
      fields[item.attr('name') as string] = item.val()?.toString() ?? '';
    });
    if (options.submitSelector) {
      const submit = form.find(options.submitSelector).first();
      const name = submit.attr('name');
      if (name) fields[name] = submit.val()?.toString() ?? '';
    }
    Object.assign(fields, options.fields);
    const method = (form.attr('method') ?? 'GET').toUpperCase();
    const action = new URL(form.attr('action') ?? '', this.url).href;
    const http = this.#requireHttp();
    return method === 'GET'
      ? http.request(
          'GET',
          `${action.split('?')[0]}?${new URLSearchParams(fields)}`,
          null,
          options.params,
        )
      : http.request(method, action, fields, options.params);
  }

  async clickLink(
    options: { selector?: string; params?: RequestParams } = {},
  ): Promise<K6Response> {
    const link = this.html(options.selector ?? 'a[href]').first();
    const href = link.attr('href');
    if (href === undefined)
      throw new Error(`clickLink: no link matches "${options.selector ?? 'a[href]'}"`);
    return this.#requireHttp().request('GET', new URL(href, this.url).href, null, options.params);
  }

  #requireHttp(): HttpModule {
    if (!this.#http) throw new Error('this response cannot follow forms or links');
    return this.#http;
  }
}

type BatchRequest =
  | string
  | [string, string, unknown?, RequestParams?]
  | { method?: string; url: string | UrlArgument; body?: unknown; params?: RequestParams };

export class HttpModule {
  responseCallback: ResponseCallback | null = {
    __k6expected: (status) => status >= 200 && status < 400,
  };
  readonly TLS_1_2 = 'tls1.2';
  readonly TLS_1_3 = 'tls1.3';
  readonly OCSP_STATUS_GOOD = 'good';
  readonly CookieJar = CookieJar;

  constructor(private readonly vu: Vu) {}

  get = (url: string | UrlArgument, params?: RequestParams) =>
    this.#blocking('GET', url, null, params);
  head = (url: string | UrlArgument, params?: RequestParams) =>
    this.#blocking('HEAD', url, null, params);
  post = (url: string | UrlArgument, body?: unknown, params?: RequestParams) =>
    this.#blocking('POST', url, body, params);
  put = (url: string | UrlArgument, body?: unknown, params?: RequestParams) =>
    this.#blocking('PUT', url, body, params);
  patch = (url: string | UrlArgument, body?: unknown, params?: RequestParams) =>
    this.#blocking('PATCH', url, body, params);
  del = (url: string | UrlArgument, body?: unknown, params?: RequestParams) =>
    this.#blocking('DELETE', url, body, params);
  options = (url: string | UrlArgument, body?: unknown, params?: RequestParams) =>
    this.#blocking('OPTIONS', url, body, params);
  request = (method: string, url: string | UrlArgument, body?: unknown, params?: RequestParams) =>
    this.#blocking(method.toUpperCase(), url, body, params);
  /** k6's asynchronous request: the script awaits it itself. */
  asyncRequest = (
    method: string,
    url: string | UrlArgument,
    body?: unknown,
    params?: RequestParams,
  ) => this.send(method.toUpperCase(), url, body, params);

  batch = (requests: BatchRequest[] | Record<string, BatchRequest>): Promise<unknown> => {
    this.vu.assertInVuCode('http.batch');
    this.vu.pending = 'http.batch';
    const one = (request: BatchRequest) => {
      if (typeof request === 'string') return this.send('GET', request, null, undefined);
      if (Array.isArray(request))
        return this.send(request[0].toUpperCase(), request[1], request[2], request[3]);
      return this.send(
        (request.method ?? 'GET').toUpperCase(),
        request.url,
        request.body,
        request.params,
      );
    };
    const limit = this.vu.runtime.http.batch;
    if (Array.isArray(requests)) return inBatches(requests, limit, one);
    const entries = Object.entries(requests);
    return inBatches(
      entries.map(([, r]) => r),
      limit,
      one,
    ).then((responses) => Object.fromEntries(entries.map(([key], i) => [key, responses[i]])));
  };

  url = (strings: TemplateStringsArray, ...values: unknown[]): UrlArgument => {
    let url = '';
    let name = '';
    strings.forEach((part, i) => {
      url += part;
      name += part;
      if (i < values.length) {
        url += String(values[i]);
        name += '${}';
      }
    });
    return { url, name };
  };

  file = (
    data: unknown,
    filename = 'file',
    contentType = 'application/octet-stream',
  ): FileData => ({
    __k6file: true,
    data:
      typeof data === 'string'
        ? Buffer.from(data, 'utf8')
        : Buffer.from(bytesOf(data) ?? Buffer.alloc(0)),
    filename,
    content_type: contentType,
  });

  cookieJar = (): CookieJar => this.vu.jar;

  expectedStatuses = (
    ...ranges: Array<number | { min: number; max: number }>
  ): ResponseCallback => ({
    __k6expected: (status) =>
      ranges.some((r) =>
        typeof r === 'number' ? status === r : status >= r.min && status <= r.max,
      ),
  });

  setResponseCallback = (callback: ResponseCallback | null): void => {
    this.responseCallback = callback;
  };

  #blocking(
    method: string,
    url: string | UrlArgument,
    body: unknown,
    params: RequestParams | undefined,
  ): Promise<K6Response> {
    this.vu.assertInVuCode(`http.${method.toLowerCase()}`);
    this.vu.pending = `http.${method === 'DELETE' ? 'del' : method.toLowerCase()}`;
    return this.send(method, url, body, params);
  }

  /** Sends one request (following redirects, each hop measured as k6 does). */
  async send(
    method: string,
    target: string | UrlArgument,
    body: unknown,
    params: RequestParams = {},
  ): Promise<K6Response> {
    const settings = this.vu.runtime.http;
    const rawUrl = typeof target === 'string' ? target : target.url;
    const nameTag = params.tags?.name ?? (typeof target === 'string' ? rawUrl : target.name);
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      throw new Error(`invalid URL "${rawUrl}"`);
    }
    const timeoutMs =
      params.timeout === undefined
        ? DEFAULT_TIMEOUT_MS
        : typeof params.timeout === 'number'
          ? params.timeout
          : (parseK6Duration(params.timeout) ?? DEFAULT_TIMEOUT_MS);
    let redirectsLeft = params.redirects ?? settings.maxRedirects;
    let currentMethod = method;
    const headers: Record<string, string> = { ...params.headers };
    let payload = encodeBody(body, headers);
    for (;;) {
      const response = await this.#exchange(
        currentMethod,
        url,
        payload,
        headers,
        params,
        timeoutMs,
        nameTag,
      );
      const location = response.headers.Location;
      if (response.status < 300 || response.status >= 400 || !location || redirectsLeft <= 0)
        return response;
      redirectsLeft--;
      url = new URL(location, url);
      if (response.status === 301 || response.status === 302 || response.status === 303) {
        if (currentMethod !== 'HEAD') currentMethod = 'GET';
        payload = undefined;
        for (const name of Object.keys(headers)) {
          if (name.toLowerCase() === 'content-type' || name.toLowerCase() === 'content-length')
            delete headers[name];
        }
      }
    }
  }

  async #exchange(
    method: string,
    url: URL,
    payload: Buffer | undefined,
    userHeaders: Record<string, string>,
    params: RequestParams,
    timeoutMs: number,
    nameTag: string,
  ): Promise<K6Response> {
    const vu = this.vu;
    const settings = vu.runtime.http;
    const response = new K6Response(method, url.href, this);
    const headers: Record<string, string> = { 'User-Agent': settings.userAgent, ...userHeaders };
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'accept-encoding')) {
      headers['Accept-Encoding'] = 'gzip, deflate, br';
    }
    const jar = params.jar === null ? undefined : (params.jar ?? vu.jar);
    const cookies: Record<string, string> = {};
    if (jar)
      for (const cookie of jar.jar.getCookiesSync(url.href)) cookies[cookie.key] = cookie.value;
    for (const [name, value] of Object.entries(params.cookies ?? {})) {
      const v = typeof value === 'string' ? { value, replace: false } : value;
      if (v.replace || !(name in cookies)) cookies[name] = v.value;
    }
    if (Object.keys(cookies).length > 0) {
      headers.Cookie = Object.entries(cookies)
        .map(([k, v]) => `${k}=${v}`)
        .join('; ');
    }
    if (url.username && (params.auth === undefined || params.auth === 'basic')) {
      headers.Authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    } else if (params.auth !== undefined && params.auth !== 'basic') {
      throw new Error(`http: auth "${params.auth}" is not supported (basic is)`);
    }
    const requestUrl = new URL(url.href);
    requestUrl.username = '';
    requestUrl.password = '';
    response.url = requestUrl.href;
    response.request = {
      method,
      url: requestUrl.href,
      headers: Object.fromEntries(
        Object.entries(headers).map(([k, v]) => [canonicalHeader(k), [v]]),
      ),
      body: payload?.toString('utf8') ?? '',
      cookies,
    };
    const tags: Tags = {
      ...vu.tagsNow(),
      ...params.tags,
      name: nameTag,
      method,
      url: requestUrl.href,
      proto: 'HTTP/1.1',
    };
    const callback =
      params.responseCallback === undefined ? this.responseCallback : params.responseCallback;
    const started = performance.now();
    let headersAt = started;
    let sentBytes = 0;
    let receivedBytes = 0;
    const connections = vu.connections;
    connections.lastConnect = undefined;
    const signal = AbortSignal.any([vu.signal, AbortSignal.timeout(timeoutMs)]);
    try {
      const pool = connections.poolFor(url);
      vu.runtime.generator.sent++;
      const result = await pool.request({
        path: `${url.pathname}${url.search}`,
        method: method as Dispatcher.HttpMethod,
        headers,
        body: payload,
        signal,
        reset: settings.noConnectionReuse,
      });
      headersAt = performance.now();
      const chunks: Buffer[] = [];
      for await (const chunk of result.body) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks);
      receivedBytes = raw.length;
      response.status = result.statusCode;
      for (const [name, value] of Object.entries(result.headers)) {
        if (value === undefined) continue;
        const text = Array.isArray(value) ? value.join(', ') : value;
        response.headers[canonicalHeader(name)] = text;
        receivedBytes += name.length + text.length + 4;
      }
      const setCookies = result.headers['set-cookie'];
      for (const line of Array.isArray(setCookies) ? setCookies : setCookies ? [setCookies] : []) {
        jar?.jar.setCookieSync(line, url.href, { ignoreError: true });
        const parsed = parseSetCookie(line);
        if (parsed) {
          const name = parsed.name as string;
          response.cookies[name] = [...(response.cookies[name] ?? []), parsed];
        }
      }
      const responseType =
        params.responseType ?? (settings.discardResponseBodies ? 'none' : 'text');
      if (responseType !== 'none') {
        const decoded = decode(raw, response.headers['Content-Encoding']);
        response.body =
          responseType === 'binary'
            ? (decoded.buffer.slice(
                decoded.byteOffset,
                decoded.byteOffset + decoded.byteLength,
              ) as ArrayBuffer)
            : decoded.toString('utf8');
      }
      const address = connectAddress(url, settings);
      response.remote_ip = address.host;
      response.remote_port = address.port;
    } catch (error) {
      if (error instanceof NotAllowedError) throw error;
      if (vu.signal.aborted) throw new IterationInterrupted();
      const err = error as Error & { code?: string };
      response.error = err.name === 'TimeoutError' ? `request timeout` : err.message;
      response.error_code = errorCodeOf(err);
      tags.error_code = String(response.error_code);
      if (settings.throwErrors) throw new Error(`${method} ${requestUrl.href}: ${response.error}`);
      vu.runtime.log(
        'warn',
        `Request Failed error="${method} ${requestUrl.href}: ${response.error}"`,
      );
    }
    const finished = performance.now();
    sentBytes =
      (payload?.length ?? 0) +
      Object.entries(headers).reduce((n, [k, v]) => n + k.length + v.length + 4, 0) +
      method.length +
      url.pathname.length +
      url.search.length +
      12;
    const connect = connections.lastConnect as ConnectTiming | undefined;
    const timings = response.timings;
    if (connect && connect.connectedAt > 0) {
      timings.connecting = connect.connectedAt - connect.startedAt;
      timings.tls_handshaking = connect.secureAt > 0 ? connect.secureAt - connect.connectedAt : 0;
      timings.blocked = Math.max(0, connect.startedAt - started);
    }
    const setup = timings.blocked + timings.connecting + timings.tls_handshaking;
    timings.waiting = Math.max(0, headersAt - started - setup);
    timings.receiving = response.status === 0 ? 0 : finished - headersAt;
    timings.duration = timings.sending + timings.waiting + timings.receiving;
    tags.status = String(response.status);
    const expected = callback ? callback.__k6expected(response.status) : undefined;
    if (expected !== undefined) tags.expected_response = String(expected);
    const runtime = vu.runtime;
    runtime.metric('http_reqs', 1, tags);
    runtime.metric('http_req_duration', timings.duration, tags);
    runtime.metric('http_req_blocked', timings.blocked, tags);
    runtime.metric('http_req_connecting', timings.connecting, tags);
    runtime.metric('http_req_tls_handshaking', timings.tls_handshaking, tags);
    runtime.metric('http_req_sending', timings.sending, tags);
    runtime.metric('http_req_waiting', timings.waiting, tags);
    runtime.metric('http_req_receiving', timings.receiving, tags);
    if (expected !== undefined) runtime.metric('http_req_failed', expected ? 0 : 1, tags);
    runtime.metric('data_sent', sentBytes, tags);
    runtime.metric('data_received', receivedBytes, tags);
    return response;
  }
}

/** Runs `task` over `items` with at most `limit` at once, results in order (k6's `batch`). */
async function inBatches<T, R>(
  items: T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

function parseSetCookie(line: string): Record<string, unknown> | undefined {
  const [pair, ...attributes] = line.split(';');
  const eq = pair?.indexOf('=') ?? -1;
  if (!pair || eq < 0) return undefined;
  const cookie: Record<string, unknown> = {
    name: pair.slice(0, eq).trim(),
    value: pair.slice(eq + 1).trim(),
    domain: '',
    path: '',
    http_only: false,
    secure: false,
    max_age: 0,
    expires: 0,
  };
  for (const attribute of attributes) {
    const [key = '', value = ''] = attribute.split('=').map((s) => s.trim());
    switch (key.toLowerCase()) {
      case 'domain':
        cookie.domain = value;
        break;
      case 'path':
        cookie.path = value;
        break;
      case 'httponly':
        cookie.http_only = true;
        break;
      case 'secure':
        cookie.secure = true;
        break;
      case 'max-age':
        cookie.max_age = Number(value);
        break;
      case 'expires':
        cookie.expires = Date.parse(value) || 0;
        break;
    }
  }
  return cookie;
}
