/**
 * k6/http on the engine's raw HTTP/1.1 sockets: each VU keeps its own connections per origin (as each k6 VU does),
 * hostnames mapped by `hosts` connect to the mapped address while Host and TLS keep the
 * original name, and every response emits k6's http_req_* metrics with k6's tags.
 */
import zlib from 'node:zlib';
import { serializeRaw } from '@loadline/engine';
import { bytesOf, toArrayBuffer } from './bytes.js';
import { type HttpSettings, NotAllowedError, VuConnections } from './connections.js';
import { CookieJar, parseSetCookie } from './cookies.js';
import { parseK6Duration } from './duration.js';
import type { Tags } from './metrics.js';
import { IterationInterrupted } from './modules.js';
import { canonicalHeader, K6Response } from './response.js';
import type { Vu } from './vu.js';

export { CookieJar, type HttpSettings, K6Response, NotAllowedError, VuConnections };

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

/** k6's error codes (lib/netext/httpext/error_codes.go) for the engine's failure codes. */
const K6_ERROR_CODES: Record<string, number> = {
  ECONNREFUSED: 1212,
  ECONNRESET: 1220,
  EPIPE: 1220,
  ENOTFOUND: 1101,
  EAI_AGAIN: 1101,
  ETIMEDOUT: 1050,
  EHOSTUNREACH: 1230,
  ENETUNREACH: 1230,
  EPARSE: 1000,
};

const ERROR_TEXT: Record<string, string> = {
  ETIMEDOUT: 'request timeout',
  ECONNREFUSED: 'connect: connection refused',
  ECONNRESET: 'connection reset by peer',
  EPARSE: 'malformed HTTP response',
};

/**
 * Fills the response's status text and headers from the raw head (names as Go shows them,
 * repeated headers joined with ", "); returns the Set-Cookie lines.
 */
function readHead(head: string, response: K6Response): string[] {
  const setCookies: string[] = [];
  let start = head.indexOf('\r\n');
  const statusLine = start < 0 ? head : head.slice(0, start);
  const space = statusLine.indexOf(' ');
  response.proto = statusLine.slice(0, space) || 'HTTP/1.1';
  response.status_text = statusLine.slice(space + 1);
  while (start >= 0) {
    const end = head.indexOf('\r\n', start + 2);
    const line = head.slice(start + 2, end < 0 ? head.length : end);
    start = end;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = canonicalHeader(line.slice(0, colon).trim());
    const value = line.slice(colon + 1).trim();
    if (name === 'Set-Cookie') setCookies.push(value);
    const existing = response.headers[name];
    response.headers[name] = existing === undefined ? value : `${existing}, ${value}`;
  }
  return setCookies;
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
    // A copy: the script's ArrayBuffer stays its own.
    data: Buffer.from(bytesOf(data) ?? Buffer.alloc(0)),
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
    if (jar) for (const cookie of jar.cookiesFor(url.href)) cookies[cookie.key] = cookie.value;
    if (params.cookies) {
      for (const [name, value] of Object.entries(params.cookies)) {
        const v = typeof value === 'string' ? { value, replace: false } : value;
        if (v.replace || !(name in cookies)) cookies[name] = v.value;
      }
    }
    let cookieHeader = '';
    for (const name in cookies)
      cookieHeader += `${cookieHeader ? '; ' : ''}${name}=${cookies[name]}`;
    if (cookieHeader) headers.Cookie = cookieHeader;
    let href = url.href;
    if (url.username && (params.auth === undefined || params.auth === 'basic')) {
      headers.Authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
      const bare = new URL(href);
      bare.username = '';
      bare.password = '';
      href = bare.href;
    } else if (params.auth !== undefined && params.auth !== 'basic') {
      throw new Error(`http: auth "${params.auth}" is not supported (basic is)`);
    }
    response.url = href;
    response.sent({ method, url: href, headers, body: payload, cookies });
    const tags: Tags = {
      ...vu.tagsNow(),
      ...params.tags,
      name: nameTag,
      method,
      url: href,
      proto: 'HTTP/1.1',
    };
    const callback =
      params.responseCallback === undefined ? this.responseCallback : params.responseCallback;
    if (settings.noConnectionReuse) headers.Connection = 'close';
    const request = serializeRaw(
      method,
      `${url.pathname}${url.search}`,
      url.host,
      Object.entries(headers),
      payload,
    );
    const runtime = vu.runtime;
    runtime.generator.sent++;
    const calledAt = performance.now();
    const exchange = await vu.connections.exchange(url, request, method === 'HEAD', timeoutMs);
    if (vu.signal.aborted) throw new IterationInterrupted();
    const timings = response.timings;
    const lag = vu.startLag;
    vu.startLag = 0;
    timings.blocked = Math.max(0, exchange.sentAt - calledAt) + lag;
    let receivedBytes = 0;
    const captured = exchange.captured;
    if (captured && exchange.error === undefined) {
      response.status = exchange.status;
      receivedBytes = captured.head.length + 4 + captured.body.length;
      const setCookies = readHead(captured.head, response);
      for (const line of setCookies) {
        jar?.store(line, href);
        const parsed = parseSetCookie(line);
        if (parsed) {
          const name = parsed.name as string;
          response.cookies[name] = [...(response.cookies[name] ?? []), parsed];
        }
      }
      const responseType =
        params.responseType ?? (settings.discardResponseBodies ? 'none' : 'text');
      if (responseType !== 'none') {
        const decoded = decode(captured.body, response.headers['Content-Encoding']);
        response.body =
          responseType === 'binary' ? toArrayBuffer(decoded) : decoded.toString('utf8');
      }
      response.remote_ip = exchange.remote.host;
      response.remote_port = exchange.remote.port;
      // The request went out when written; a new connection's handshake came first.
      const connect = exchange.connect;
      const readyAt = connect ? Math.max(connect.connectedAt, connect.secureAt) : 0;
      if (connect && connect.connectedAt > 0) {
        timings.connecting = Math.max(0, connect.connectedAt - connect.startedAt);
        if (connect.secureAt > 0) timings.tls_handshaking = connect.secureAt - connect.connectedAt;
      }
      timings.waiting = Math.max(0, captured.headAt - Math.max(exchange.sentAt, readyAt));
      timings.receiving = Math.max(0, exchange.doneAt - captured.headAt);
    } else {
      const code = exchange.error ?? 'EPARSE';
      response.error = ERROR_TEXT[code] ?? code;
      response.error_code = K6_ERROR_CODES[code] ?? 1000;
      tags.error_code = String(response.error_code);
      if (!settings.throwErrors) {
        runtime.log('warn', `Request Failed error="${method} ${href}: ${response.error}"`);
      }
    }
    // k6's phases, plus (first request of a late arrival-rate iteration) the lag behind schedule.
    timings.duration = timings.sending + timings.waiting + timings.receiving + lag;
    const sentBytes = request.length;
    tags.status = String(response.status);
    const expected = callback ? callback.__k6expected(response.status) : undefined;
    if (expected !== undefined) tags.expected_response = String(expected);
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
    runtime.intervals?.request(
      tags.name ?? href,
      response.status,
      timings.duration,
      expected === undefined ? response.error_code !== 0 : !expected,
    );
    // `throw: true`: the failed request is measured, then thrown (as k6 does).
    if (response.error_code !== 0 && settings.throwErrors) {
      throw new Error(`${method} ${href}: ${response.error}`);
    }
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
