'use client';
// The browser's only door to control: /api/control/* on the console's own origin, through
// the contract's typed client, so every answer is parsed with its route's schema. Calls go
// through the signed-in session (session-fetch.ts); a 401 sends the user to sign in.
import {
  ApiProblem,
  ApiUnreachable,
  type CallOptions,
  ControlApiClient,
  type Problem,
  pathOf,
  type ResponseOf,
  type RouteContract,
} from '@loadline/api/http';
import { useCallback, useEffect, useRef, useState } from 'react';
import { API, publicFetch, sessionFetch, signInAgain } from './session-fetch';

export { API, rememberCsrf } from './session-fetch';

/** One refused field of a problem (or a parser finding), at line:column when known. */
export type FieldProblem = Pick<NonNullable<Problem['errors']>[number], 'message'> & {
  path: string;
  line?: number;
  column?: number;
};

/** A failed call: an RFC 9457 problem from control, or control not answering at all. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    readonly errors: FieldProblem[] = [],
    /** true when control did not answer (down, wrong LOADLINE_API) */
    readonly unreachable = false,
  ) {
    super(detail ? `${title}: ${detail}` : title);
  }
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;

/** Any failure of a call as the console shows it. */
export function apiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ApiProblem) {
    const { problem } = error;
    const errors = (problem.errors ?? []).map((e) => ({
      ...e,
      path: text(e.path) ?? text(e.field) ?? '',
    }));
    // The console's proxy answers 502 with `unreachable: true` when control does not answer.
    const unreachable = problem.unreachable === true;
    return new ApiError(error.status, problem.title, problem.detail, errors, unreachable);
  }
  if (error instanceof ApiUnreachable) {
    return new ApiError(0, 'console unreachable', String(error.cause), [], true);
  }
  return new ApiError(0, String(error), undefined);
}

// The client leaves caching to fetch; the console never wants a cached answer.
const sessionClient = new ControlApiClient(API, { fetch: sessionFetch });
const publicClient = new ControlApiClient(API, { fetch: publicFetch });

const clientFor = (route: RouteContract) =>
  route.permission === 'public' ? publicClient : sessionClient;

/**
 * A failure as an ApiError. A 401 from a route that needs a session means the session is
 * gone: the page goes to sign in (a public route's 401 is its own answer: a wrong password).
 */
function failed(route: RouteContract, error: unknown): ApiError {
  const failure = apiError(error);
  if (failure.status === 401 && route.permission !== 'public') signInAgain();
  return failure;
}

/** Calls a route; any failure is an ApiError. */
export async function call<R extends RouteContract>(
  route: R,
  options: CallOptions<R> = {},
): Promise<ResponseOf<R>> {
  try {
    return await clientFor(route).call(route, options);
  } catch (error) {
    throw failed(route, error);
  }
}

/** Sends a call and returns the raw answer (a report in another format); failures as call. */
export async function send<R extends RouteContract>(
  route: R,
  options: CallOptions<R> = {},
): Promise<Response> {
  try {
    return await clientFor(route).send(route, options);
  } catch (error) {
    throw failed(route, error);
  }
}

/** The console-origin URL of a route, for links and EventSource. */
export function hrefOf(
  route: Pick<RouteContract, 'path'>,
  params?: Record<string, string>,
  query?: CallOptions<RouteContract>['query'],
): string {
  return `${API}${pathOf(route, params, query)}`;
}

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

export type ApiRequest = Pick<CallOptions<RouteContract>, 'params' | 'query'>;

/**
 * GETs a route (request null: nothing to load yet), and again every `refreshMs` when given.
 * It loads again when the URL the request makes changes.
 */
export function useApi<R extends RouteContract & { method: 'GET' }>(
  route: R,
  request: ApiRequest | null = {},
  refreshMs?: number,
): Loaded<ResponseOf<R>> {
  const path = request === null ? null : pathOf(route, request.params, request.query);
  const [data, setData] = useState<ResponseOf<R>>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  // The effect runs on the path; the route and request it reads are this render's.
  const latest = useRef({ route, request });
  latest.current = { route, request };
  // biome-ignore lint/correctness/useExhaustiveDependencies: the path names the request; tick forces a reload
  useEffect(() => {
    if (path === null) return;
    const { route, request } = latest.current;
    let live = true;
    setLoading(true);
    call(route, request ?? {})
      .then((value) => {
        if (!live) return;
        setData(value);
        setError(undefined);
      })
      .catch((e: unknown) => {
        if (live) setError(apiError(e));
      })
      .finally(() => {
        if (live) setLoading(false);
      });
    return () => {
      live = false;
    };
  }, [path, tick]);
  useEffect(() => {
    if (!refreshMs) return;
    const timer = setInterval(reload, refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs, reload]);
  return { data, error, loading, reload };
}
