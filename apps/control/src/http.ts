import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import type { ResponseOf, RouteContract } from '@loadline/api/http';
import type { z } from 'zod';
import { type Actor, actorOf, type Principal, requirePermission } from './access/principal.js';
import { HttpProblem } from './problem.js';
import { checkLinesType, readBody } from './request-body.js';

export { HttpProblem };

/** What a handler adds to the audit event of its route (what it acted on, and how). */
export interface AuditNote {
  target?: string;
  detail?: Record<string, unknown>;
  /** who acted, when the principal is not it (a sign-in names the user it was for) */
  actor?: Actor;
  /** how it ended, when a success answer says otherwise (a refused sign-on redirects) */
  outcome?: 'denied' | 'invalid';
}

export interface RequestContext {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** the body's bytes as received (a signed leak report is checked over them) */
  rawBody: Buffer | undefined;
  headers: http.IncomingHttpHeaders;
  /** the request itself: a route that takes its body as lines reads them from it */
  request: http.IncomingMessage;
  /** the signed-in user or token; undefined on public routes called anonymously */
  principal: Principal | undefined;
  /** the caller's address, and the proxy it came through */
  source: string;
  audit: AuditNote;
  /** headers to send with the answer (Set-Cookie) */
  responseHeaders: Record<string, string | string[]>;
}

/** A handler that needs the raw response (Server-Sent Events) writes it itself. */
export interface StreamResult {
  stream: (res: http.ServerResponse) => void;
}

export interface RedirectResult {
  redirect: string;
}

export type Handler = (
  ctx: RequestContext,
) => Promise<
  | { status?: number; body: unknown; contentType?: string }
  | StreamResult
  | RedirectResult
  | undefined
>;

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
      : R['success']['body'] extends { kind: 'redirect' }
        ? RedirectResult
        : { body: string | Buffer | Wire<ResponseOf<R>>; contentType?: string };

export type RouteHandler<R extends RouteContract> = (ctx: RequestContext) => Promise<ResultOf<R>>;

/** What the router needs to know of access control. */
export interface RouterAccess {
  /** who sent the request, or undefined for nobody known */
  authenticate(req: http.IncomingMessage): Promise<Principal | undefined>;
  /** the caller's address as the audit log records it */
  sourceOf(req: http.IncomingMessage): string;
  /** whether the Host header names this control (DNS rebinding is refused) */
  hostAllowed(host: string | undefined): boolean;
  /** appends an audit event (never throws) */
  audit(event: {
    actor: Actor;
    source: string;
    action: string;
    target: string | null;
    outcome: 'ok' | 'denied' | 'invalid' | 'failed';
    detail: Record<string, unknown>;
  }): Promise<void>;
  log(line: string): void;
}

interface Route {
  contract: RouteContract;
  pattern: RegExp;
  handler: Handler;
  maxBodyBytes: number;
}

/** The default body limit; a route may declare its own (a corpus upload). */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Validates with zod; a failure is a 422 naming every failing field. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 100);
  throw new HttpProblem(
    422,
    'invalid request body',
    issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
    { errors: issues.map((i) => ({ field: i.path.join('.'), message: i.message })) },
  );
}

const READS = new Set(['GET', 'HEAD']);

/** A small router: `/runs/:id/stop` patterns, JSON in, JSON or problem+json out. */
export class Router {
  readonly #routes: Route[] = [];

  constructor(private readonly access: RouterAccess) {}

  /**
   * Serves a route of the control API's contract: its path, method, permission and body
   * limit come from the contract, so nothing is served that the OpenAPI document does not
   * describe, and nothing runs for a caller the route does not allow.
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
        // Never echo internals (SQL, parameters, stacks): the log has them, under an id.
        const id = randomBytes(6).toString('hex');
        this.access.log(
          `internal error ${id} on ${req.method} ${req.url}: ${error?.stack ?? error}`,
        );
        sendProblem(
          res,
          '/',
          new HttpProblem(
            500,
            'internal error',
            `something failed inside control (logged as ${id})`,
          ),
        );
      });
    };
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://control');
    const method = req.method ?? 'GET';
    const route = this.#match(method, url.pathname);
    const ctx: RequestContext = {
      method,
      path: url.pathname,
      params: {},
      query: url.searchParams,
      body: undefined,
      rawBody: undefined,
      headers: req.headers,
      request: req,
      principal: undefined,
      source: this.access.sourceOf(req),
      audit: {},
      responseHeaders: {},
    };
    try {
      if (!this.access.hostAllowed(req.headers.host)) {
        throw new HttpProblem(
          421,
          'unknown host',
          `this control does not answer to Host "${String(req.headers.host ?? '').slice(0, 100)}"`,
        );
      }
      const found = route instanceof HttpProblem ? undefined : route;
      if (!found) throw route;
      ctx.params = pathParams(found.pattern, url.pathname);
      await this.#authorize(found.contract, req, ctx);
      if (found.contract.lines) {
        checkLinesType(req, found.contract.lines.mediaTypes);
      } else if (!READS.has(method) && method !== 'DELETE') {
        const body = await readBody(req, found.maxBodyBytes);
        ctx.body = body.json;
        ctx.rawBody = body.raw;
      }
      const result = await found.handler(ctx);
      await this.#audited(found.contract, ctx, ctx.audit.outcome ?? 'ok');
      this.#send(res, found.contract, ctx, result);
    } catch (error) {
      if (!(error instanceof HttpProblem)) throw error;
      const contract = route instanceof HttpProblem ? undefined : route.contract;
      if (contract) {
        await this.#audited(contract, ctx, outcomeOf(error.status), {
          status: error.status,
          problem: error.detail ?? error.title,
        });
      }
      for (const [name, value] of Object.entries(ctx.responseHeaders)) res.setHeader(name, value);
      // A body refused before it was read (401, 403, 415) is drained, not cut off: the
      // client still sending would see its connection reset instead of the answer.
      if (!req.readableEnded) req.resume();
      sendProblem(res, url.pathname, error);
    }
  }

  #match(method: string, path: string): Route | HttpProblem {
    const matches = this.#routes.filter((r) => r.pattern.test(path));
    const route = matches.find((r) => r.contract.method === method);
    if (route) return route;
    if (matches.length > 0) {
      return new HttpProblem(
        405,
        'method not allowed',
        `${method} ${path}; allowed: ${matches.map((m) => m.contract.method).join(', ')}`,
      );
    }
    return new HttpProblem(404, 'not found', `no route for ${method} ${path}`);
  }

  /** Who the caller is, and whether the route lets them in (401, 403, or a CSRF refusal). */
  async #authorize(contract: RouteContract, req: http.IncomingMessage, ctx: RequestContext) {
    ctx.principal = await this.access.authenticate(req);
    // Public routes, and leak reports (signed with a shadow key, checked by their handler).
    if (contract.permission === 'public' || contract.permission === 'leak.report') return;
    requirePermission(ctx.principal, contract.permission);
    // A session rides on a cookie the browser sends by itself: a write must also carry the
    // session's CSRF token, which only the console's own pages can read.
    if (ctx.principal.via === 'session' && !READS.has(ctx.method)) {
      const sent = req.headers['x-loadline-csrf'];
      if (typeof sent !== 'string' || sent !== ctx.principal.csrf) {
        throw new HttpProblem(
          403,
          'CSRF token missing or wrong',
          'a write through a console session needs the x-loadline-csrf header (GET /auth/session gives it)',
        );
      }
    }
  }

  async #audited(
    contract: RouteContract,
    ctx: RequestContext,
    outcome: 'ok' | 'denied' | 'invalid' | 'failed',
    refusal?: Record<string, unknown>,
  ): Promise<void> {
    if (!contract.audit) return;
    await this.access.audit({
      actor: ctx.audit.actor ?? actorOf(ctx.principal),
      source: ctx.source,
      action: contract.audit,
      target: ctx.audit.target ?? (Object.values(ctx.params).join('/') || null),
      outcome,
      detail: { ...ctx.audit.detail, ...refusal },
    });
  }

  #send(
    res: http.ServerResponse,
    contract: RouteContract,
    ctx: RequestContext,
    result: Awaited<ReturnType<Handler>>,
  ): void {
    for (const [name, value] of Object.entries(ctx.responseHeaders)) res.setHeader(name, value);
    if (result === undefined) {
      res.writeHead(204).end();
      return;
    }
    if ('stream' in result) {
      result.stream(res);
      return;
    }
    if ('redirect' in result) {
      res.writeHead(302, { location: result.redirect }).end();
      return;
    }
    // Binary bodies (an XLSX or PDF report) go out as they are.
    const text =
      typeof result.body === 'string' || Buffer.isBuffer(result.body)
        ? result.body
        : JSON.stringify(result.body);
    res.writeHead(result.status ?? contract.success.status, {
      'content-type':
        result.contentType ??
        (typeof result.body === 'string'
          ? 'text/plain; charset=utf-8'
          : Buffer.isBuffer(result.body)
            ? 'application/octet-stream'
            : 'application/json'),
    });
    res.end(text);
  }
}

function outcomeOf(status: number): 'denied' | 'invalid' | 'failed' {
  if (status === 401 || status === 403) return 'denied';
  return status >= 500 ? 'failed' : 'invalid';
}

function pathParams(pattern: RegExp, path: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(pattern.exec(path)?.groups ?? {})) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(value);
    } catch {
      throw new HttpProblem(
        400,
        'malformed path',
        `${name}: "${value.slice(0, 100)}" is not valid %-encoding`,
        {
          errors: [{ field: name, message: 'not valid %-encoding' }],
        },
      );
    }
    if (decoded.length > 512 || /\p{Cc}/u.test(decoded)) {
      throw new HttpProblem(
        422,
        'invalid path parameter',
        `${name}: at most 512 characters, no control characters`,
        {
          errors: [{ field: name, message: 'at most 512 characters, no control characters' }],
        },
      );
    }
    params[name] = decoded;
  }
  return params;
}

export function sendProblem(
  res: http.ServerResponse,
  instance: string,
  problem: HttpProblem,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(problem.status, { 'content-type': 'application/problem+json', ...problem.headers });
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
