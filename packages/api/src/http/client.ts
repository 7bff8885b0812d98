import { z } from 'zod';
import type { BodyOf, ResponseOf, RouteContract } from './contract.js';
import { Problem } from './resources.js';

// One typed client of the control API for the CLI, the console and tests: it builds the
// URL from the route's contract, sends the body, and parses the answer with the route's
// response schema, so a caller holds exactly the documented shape.

/** A problem answer from control, kept whole so callers can show every refused field. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(`${problem.title}${problem.detail ? `: ${problem.detail}` : ''}`);
    this.name = 'ApiProblem';
  }
}

/** Control answered with a body its contract does not describe: a bug on one side. */
export class ContractViolation extends Error {
  constructor(
    readonly route: string,
    readonly issues: readonly z.core.$ZodIssue[],
  ) {
    super(
      `${route}: the answer does not match its schema: ${issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
        .join('; ')}`,
    );
    this.name = 'ContractViolation';
  }
}

/** Control did not answer at all (down, wrong URL). */
export class ApiUnreachable extends Error {
  constructor(
    readonly baseUrl: string,
    override readonly cause: unknown,
  ) {
    const code = (cause as { cause?: { code?: string } })?.cause?.code ?? (cause as Error)?.message;
    super(`cannot reach control at ${baseUrl} (${code})`);
    this.name = 'ApiUnreachable';
  }
}

export interface CallOptions<R extends RouteContract> {
  params?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined>;
  body?: BodyOf<R>;
  /** a route that takes JSON Lines: its lines, sent as they come (each ends with "\n") */
  lines?: Iterable<string> | AsyncIterable<string>;
  signal?: AbortSignal;
}

/** Lines as a request body stream. */
function streamOf(lines: Iterable<string> | AsyncIterable<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const iterator =
    Symbol.asyncIterator in lines ? lines[Symbol.asyncIterator]() : lines[Symbol.iterator]();
  return new ReadableStream({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
  });
}

/** `/runs/:id/stop` with `{ id: 'run_1' }` → `/runs/run_1/stop` (segments encoded). */
export function pathOf(
  route: Pick<RouteContract, 'path'>,
  params: Record<string, string> = {},
  query: CallOptions<RouteContract>['query'] = {},
): string {
  const path = route.path.replace(/:(\w+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`${route.path}: missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) search.set(key, String(value));
  }
  const text = search.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** Parses a JSON success body with its route's schema. */
export function parseResponse<R extends RouteContract>(
  name: string,
  route: R,
  json: unknown,
): ResponseOf<R> {
  const body = route.success.body;
  const schema =
    body instanceof z.ZodType
      ? body
      : typeof body === 'object' && body.kind === 'document'
        ? body.json
        : undefined;
  if (!schema) return json as ResponseOf<R>;
  const result = schema.safeParse(json);
  if (!result.success) throw new ContractViolation(name, result.error.issues);
  return result.data as ResponseOf<R>;
}

function problemOf(status: number, statusText: string, json: unknown): Problem {
  const parsed = Problem.safeParse(json);
  if (parsed.success) return parsed.data;
  return { type: 'about:blank', title: statusText || `HTTP ${status}`, status };
}

export class ControlApiClient {
  constructor(
    readonly baseUrl: string,
    readonly options: { fetch?: typeof fetch; headers?: Record<string, string> } = {},
  ) {}

  /** Calls a route and returns its parsed JSON answer (undefined for 204). */
  async call<R extends RouteContract>(
    route: R,
    options: CallOptions<R> = {},
  ): Promise<ResponseOf<R>> {
    const response = await this.send(route, options);
    const text = await response.text();
    if (route.success.body === 'empty' || text === '') return undefined as ResponseOf<R>;
    return parseResponse(`${route.method} ${route.path}`, route, JSON.parse(text));
  }

  /**
   * Sends a call and returns the raw response once it succeeded (a report in another format,
   * an event stream); a problem answer throws ApiProblem.
   */
  async send<R extends RouteContract>(route: R, options: CallOptions<R> = {}): Promise<Response> {
    const doFetch = this.options.fetch ?? fetch;
    let response: Response;
    try {
      const lines = options.lines && route.lines;
      response = await doFetch(`${this.baseUrl}${pathOf(route, options.params, options.query)}`, {
        method: route.method,
        headers: {
          ...this.options.headers,
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(lines ? { 'content-type': route.lines?.mediaTypes[0] as string } : {}),
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        ...(lines && options.lines
          ? ({ body: streamOf(options.lines), duplex: 'half' } as RequestInit)
          : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if ((error as Error)?.name === 'AbortError') throw error;
      throw new ApiUnreachable(this.baseUrl, error);
    }
    if (!response.ok) {
      const text = await response.text();
      let json: unknown;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      throw new ApiProblem(response.status, problemOf(response.status, response.statusText, json));
    }
    return response;
  }
}
