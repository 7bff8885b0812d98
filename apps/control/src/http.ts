import type http from 'node:http';
import type { ResponseOf, RouteContract } from '@loadline/api/http';
import type { z } from 'zod';

/** An RFC 9457 problem: every error the API returns has this body. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
  }
}

export interface RequestContext {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
}

/** A handler that needs the raw response (Server-Sent Events) writes it itself. */
export interface StreamResult {
  stream: (res: http.ServerResponse) => void;
}

export type Handler = (
  ctx: RequestContext,
) => Promise<{ status?: number; body: unknown; contentType?: string } | StreamResult | undefined>;

/**
 * A value as a handler may return it for a JSON body of type T: a Date wherever the wire
 * has a timestamp string (JSON.stringify writes it as ISO 8601).
 */
export type Wire<T> = T extends string
  ? T | Date
  : T extends readonly (infer U)[]
    ? readonly Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

/** What a route's handler returns, typed from its contract's success body. */
export type ResultOf<R extends RouteContract> = R['success']['body'] extends z.ZodType
  ? { body: Wire<z.output<R['success']['body']>> }
  : R['success']['body'] extends 'empty'
    ? undefined
    : R['success']['body'] extends { kind: 'event-stream' }
      ? StreamResult
      : { body: string | Buffer | Wire<ResponseOf<R>>; contentType?: string };

export type RouteHandler<R extends RouteContract> = (ctx: RequestContext) => Promise<ResultOf<R>>;

interface Route {
  contract: RouteContract;
  pattern: RegExp;
  handler: Handler;
  maxBodyBytes: number;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Validates with zod; a failure is a 422 naming every failing field. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw new HttpProblem(
    422,
    'invalid request body',
    result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
    {
      errors: result.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
    },
  );
}

/** A small router: `/runs/:id/stop` patterns, JSON in, JSON or problem+json out. */
export class Router {
  readonly #routes: Route[] = [];

  /**
   * Serves a route of the control API's contract: its path, method and body limit come from
   * the contract, so nothing is served that the OpenAPI document does not describe.
   */
  route<R extends RouteContract>(contract: R, handler: RouteHandler<R>): this {
    if (this.#routes.some((r) => r.contract === contract)) {
      throw new Error(`${contract.method} ${contract.path} is served twice`);
    }
    const pattern = new RegExp(`^${contract.path.replace(/:(\w+)/g, '(?<$1>[^/]+)')}$`);
    this.#routes.push({
      contract,
      pattern,
      handler: handler as Handler,
      maxBodyBytes: contract.maxBodyBytes ?? MAX_BODY_BYTES,
    });
    return this;
  }

  /** The contracts of every route served, in the order they were added. */
  get contracts(): readonly RouteContract[] {
    return this.#routes.map((r) => r.contract);
  }

  listener(): http.RequestListener {
    return (req, res) => {
      this.#handle(req, res).catch((error) => {
        sendProblem(
          res,
          req.url ?? '/',
          new HttpProblem(500, 'internal error', String(error?.message ?? error)),
        );
      });
    };
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://control');
    const method = req.method ?? 'GET';
    const matches = this.#routes.filter((r) => r.pattern.test(url.pathname));
    const route = matches.find((r) => r.contract.method === method);
    try {
      if (!route) {
        if (matches.length > 0) {
          throw new HttpProblem(
            405,
            'method not allowed',
            `${method} ${url.pathname}; allowed: ${matches.map((m) => m.contract.method).join(', ')}`,
          );
        }
        throw new HttpProblem(404, 'not found', `no route for ${method} ${url.pathname}`);
      }
      const body =
        method === 'GET' || method === 'DELETE'
          ? undefined
          : await readJson(req, route.maxBodyBytes);
      const params = Object.fromEntries(
        Object.entries(route.pattern.exec(url.pathname)?.groups ?? {}).map(([k, v]) => [
          k,
          decodeURIComponent(v),
        ]),
      );
      const result = await route.handler({
        method,
        path: url.pathname,
        params,
        query: url.searchParams,
        body,
      });
      if (result === undefined) {
        res.writeHead(204).end();
        return;
      }
      if ('stream' in result) {
        result.stream(res);
        return;
      }
      // Binary bodies (an XLSX or PDF report) go out as they are.
      const text =
        typeof result.body === 'string' || Buffer.isBuffer(result.body)
          ? result.body
          : JSON.stringify(result.body);
      res.writeHead(result.status ?? route.contract.success.status, {
        'content-type':
          result.contentType ??
          (typeof result.body === 'string'
            ? 'text/plain; charset=utf-8'
            : Buffer.isBuffer(result.body)
              ? 'application/octet-stream'
              : 'application/json'),
      });
      res.end(text);
    } catch (error) {
      if (error instanceof HttpProblem) sendProblem(res, url.pathname, error);
      else throw error;
    }
  }
}

async function readJson(req: http.IncomingMessage, maxBodyBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes)
      throw new HttpProblem(413, 'request body too large', `limit is ${maxBodyBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  const type = req.headers['content-type'] ?? '';
  if (!type.includes('json')) {
    throw new HttpProblem(
      415,
      'unsupported media type',
      `send application/json, got "${type || 'none'}"`,
    );
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new HttpProblem(400, 'malformed JSON', (error as Error).message);
  }
}

function sendProblem(res: http.ServerResponse, instance: string, problem: HttpProblem): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(problem.status, { 'content-type': 'application/problem+json' });
  res.end(
    JSON.stringify({
      type: 'about:blank',
      title: problem.title,
      status: problem.status,
      ...(problem.detail === undefined ? {} : { detail: problem.detail }),
      instance,
      ...problem.extra,
    }),
  );
}
