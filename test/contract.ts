// Every answer the end-to-end tests receive from control is checked against the route's
// schema in the contract (@loadline/api/http): a field the schema does not describe, a
// missing or mistyped one, or an error that is not a problem fails the test that got it.
import { controlApi, Problem, parseResponse, type RouteContract } from '@loadline/api/http';

/** Origins (with a path prefix, e.g. the console's /api/control proxy) that serve the API. */
const controlOrigins = new Map<string, string>();
/** The API token the tests call each control with, when they say nothing else. */
const controlTokens = new Map<string, () => string | undefined>();

/**
 * Checks every answer from `origin` against the contract; with `token`, calls to it that
 * carry no Authorization header of their own are made with that API token (as the CLI
 * would). A test that means to call anonymously says so with `authorization: ''`... or
 * uses `anonymous()`.
 */
export function watchControl(origin: string, prefix = '', token?: () => string | undefined): void {
  controlOrigins.set(new URL(origin).origin, prefix);
  if (token) controlTokens.set(new URL(origin).origin, token);
}

const routes = Object.entries(controlApi).map(([name, route]) => ({
  name,
  route: route as RouteContract,
  pattern: new RegExp(`^${route.path.replace(/:(\w+)/g, '[^/]+')}$`),
}));

function routeOf(method: string, path: string) {
  return routes.find((r) => r.route.method === method && r.pattern.test(path));
}

/** Paths where `raw` has a key that `parsed` lost: fields the schema does not describe. */
export function undocumentedFields(raw: unknown, parsed: unknown, path = ''): string[] {
  if (Array.isArray(raw) && Array.isArray(parsed)) {
    return raw.flatMap((item, i) => undocumentedFields(item, parsed[i], `${path}[${i}]`));
  }
  if (raw === null || typeof raw !== 'object' || parsed === null || typeof parsed !== 'object')
    return [];
  return Object.entries(raw as Record<string, unknown>).flatMap(([key, value]) => {
    const where = path === '' ? key : `${path}.${key}`;
    if (!(key in (parsed as object))) return value === undefined ? [] : [where];
    return undocumentedFields(value, (parsed as Record<string, unknown>)[key], where);
  });
}

/**
 * Throws when a control answer does not match its contract. The body is read from a clone,
 * and only where it is checked: a stream or an unwatched answer is never teed and buffered.
 */
export async function checkAnswer(method: string, url: URL, response: Response): Promise<void> {
  const prefix = controlOrigins.get(url.origin);
  if (prefix === undefined || !url.pathname.startsWith(prefix)) return;
  const path = url.pathname.slice(prefix.length) || '/';
  const match = routeOf(method, path);
  if (!match) return; // 404s and 405s for paths nobody serves are checked as problems below
  const type = response.headers.get('content-type') ?? '';
  const where = `${method} ${path} → ${response.status}`;
  if (!response.ok) {
    if (!type.startsWith('application/problem+json'))
      throw new Error(`${where}: an error answered as ${type}, not a problem`);
    const problem = Problem.safeParse(await response.clone().json());
    if (!problem.success) throw new Error(`${where}: not an RFC 9457 problem`);
    return;
  }
  if (response.status !== match.route.success.status)
    throw new Error(`${where}: the contract says ${match.route.success.status}`);
  if (!type.startsWith('application/json')) return; // reports in other formats, event streams
  const raw = await response.clone().json();
  const parsed = parseResponse(match.name, match.route, raw);
  const extra = undocumentedFields(raw, parsed);
  if (extra.length > 0)
    throw new Error(
      `${where}: fields the schema does not describe: ${extra.slice(0, 10).join(', ')}`,
    );
}

const realFetch = globalThis.fetch;

/** fetch without the token watchControl adds: what a caller who has not signed in gets. */
export function anonymous(input: string | URL, init: RequestInit = {}): Promise<Response> {
  return globalThis.fetch(input, {
    ...init,
    headers: { ...init.headers, 'x-test-anonymous': '1' },
  });
}

function withToken(url: URL, init: RequestInit | undefined): RequestInit | undefined {
  const token = controlTokens.get(url.origin)?.();
  const headers = new Headers(init?.headers);
  if (headers.has('x-test-anonymous')) {
    headers.delete('x-test-anonymous');
    return { ...init, headers };
  }
  if (!token || headers.has('authorization')) return init;
  headers.set('authorization', `Bearer ${token}`);
  return { ...init, headers };
}

/** fetch that checks every answer from a watched control before the test sees it. */
globalThis.fetch = async (input, init) => {
  const request = input instanceof Request ? input : undefined;
  const url = new URL(request?.url ?? String(input));
  const response = await realFetch(input, request ? init : withToken(url, init));
  const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
  await checkAnswer(method, url, response);
  return response;
};
