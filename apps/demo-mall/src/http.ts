/**
 * The few things every demo service shares: a route table over `node:http`, JSON bodies
 * parsed with zod, problem+json errors, CPU cost per request and Prometheus metrics.
 * Shadow traffic is not handled here: the caller wraps the listener (the SDK's
 * `shadowListener`) or the process runs under the zero-code preload.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import type { CpuCore } from './cpu.js';
import { type InstanceMetrics, metricsText, type Traffic } from './metrics.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: unknown,
  ) {
    super(title);
  }
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Context {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  json<T extends z.ZodType>(schema: T): Promise<z.infer<T>>;
}

/** A handler answers with a Reply, or writes the response itself and returns undefined. */
export type Handler = (ctx: Context) => Promise<Reply | undefined> | Reply | undefined;

export interface Route {
  method: string;
  /** `/api/products/:id` — also the `route` label of the metrics */
  pattern: string;
  handler: Handler;
}

export interface RequestEvent {
  service: string;
  instance: number;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
}

export interface ServiceOptions {
  name: string;
  instance: number;
  host: string;
  port: number;
  routes: Route[];
  cpu: CpuCore;
  costMs: number;
  metrics: InstanceMetrics;
  onRequest?: ((event: RequestEvent) => void) | undefined;
  /** Wraps the server's request listener, e.g. with the shadow SDK's middleware. */
  wrap?: (listener: http.RequestListener) => http.RequestListener;
  /** The request's `traffic` label, decided when it arrives (default production). */
  traffic?: (req: http.IncomingMessage) => Traffic;
}

export interface RunningService {
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

export function send(res: http.ServerResponse, reply: Reply): void {
  const json = reply.body === undefined ? '' : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    ...(json === ''
      ? {}
      : {
          'content-type': reply.status >= 400 ? 'application/problem+json' : 'application/json',
        }),
    'content-length': Buffer.byteLength(json),
    ...reply.headers,
  });
  res.end(json);
}

function problem(status: number, title: string, detail?: unknown): Reply {
  return { status, body: { title, status, ...(detail === undefined ? {} : { detail }) } };
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `request body over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function parseJson<T extends z.ZodType>(
  req: http.IncomingMessage,
  schema: T,
): Promise<z.infer<T>> {
  let value: unknown;
  try {
    value = JSON.parse((await readBody(req)) || 'null');
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, 'request body is not valid JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
    throw new HttpError(400, 'invalid request body', issues);
  }
  return parsed.data;
}

interface CompiledRoute extends Route {
  regex: RegExp;
  names: string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.pattern.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { ...route, regex: new RegExp(`^${source}$`), names };
}

function match(routes: CompiledRoute[], method: string, path: string) {
  for (const route of routes) {
    if (route.method !== method) continue;
    const m = route.regex.exec(path);
    if (!m) continue;
    try {
      const values = route.names.map((name, i) => [name, decodeURIComponent(m[i + 1] as string)]);
      return { route, params: Object.fromEntries(values) as Record<string, string> };
    } catch {
      throw new HttpError(400, `bad URL encoding in ${path}`);
    }
  }
  return undefined;
}

export async function startService(options: ServiceOptions): Promise<RunningService> {
  const routes = options.routes.map(compile);
  const { metrics } = options;
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://demo');
    const method = req.method ?? 'GET';
    // Decided now, in the request's context: 'close' below is emitted outside it.
    const traffic = options.traffic?.(req) ?? 'production';
    let label = 'unmatched';
    // 'close' also comes for a response cut short (a client gone, an upstream failing).
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observe(method, label, res.statusCode, seconds, traffic);
    });
    try {
      if (method === 'GET' && url.pathname === '/metrics') {
        label = '/metrics';
        const { contentType, body } = await metricsText(metrics);
        res.writeHead(200, { 'content-type': contentType }).end(body);
        return;
      }
      options.onRequest?.({
        service: options.name,
        instance: options.instance,
        method,
        path: url.pathname,
        headers: req.headers,
      });
      if (method === 'GET' && url.pathname === '/healthz') {
        label = '/healthz';
        send(res, { status: 200, body: { ok: true, service: options.name } });
        return;
      }
      const found = match(routes, method, url.pathname);
      if (!found) throw new HttpError(404, `no route for ${method} ${url.pathname}`);
      label = found.route.pattern;
      await options.cpu.burn(options.costMs);
      const reply = await found.route.handler({
        req,
        res,
        params: found.params,
        query: url.searchParams,
        json: (schema) => parseJson(req, schema),
      });
      if (reply) send(res, reply);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const reply =
        error instanceof HttpError
          ? problem(error.status, error.title, error.detail)
          : problem(500, 'internal error', error instanceof Error ? error.message : String(error));
      send(res, reply);
    } finally {
      // Unread request bodies would stall the keep-alive connection.
      if (!req.readableEnded) req.resume();
    }
  };
  const listener: http.RequestListener = (req, res) => void handle(req, res);
  const server = http.createServer(options.wrap ? options.wrap(listener) : listener);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
