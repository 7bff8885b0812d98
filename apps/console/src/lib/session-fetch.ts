'use client';
// The browser's calls through a console session. The session rides on an HttpOnly cookie
// the browser sends by itself; control takes a write only with the session's CSRF token
// in `x-loadline-csrf`, which only the console's own pages can read (GET /auth/session).
import { controlApi, Problem, Whoami } from '@loadline/api/http';
import { signInPath } from './next-path';

export const API = '/api/control';
const CSRF_HEADER = 'x-loadline-csrf';
/** control's title for a write without the right token (apps/control/src/http.ts) */
const CSRF_REFUSAL = 'CSRF token missing or wrong';

let csrfToken: string | undefined;

/** Keeps the session's CSRF token (from sign-in or GET /auth/session) for the writes to come. */
export function rememberCsrf(token: string | undefined): void {
  csrfToken = token;
}

/** The session's CSRF token as control has it now, or undefined without a session. */
async function freshCsrf(): Promise<string | undefined> {
  const response = await fetch(`${API}${controlApi.whoami.path}`, { cache: 'no-store' });
  if (!response.ok) return undefined;
  const whoami = Whoami.safeParse(await response.json());
  return whoami.success ? whoami.data.csrfToken : undefined;
}

function withCsrf(init: RequestInit, token: string | undefined): RequestInit {
  const headers = new Headers(init.headers);
  if (token) headers.set(CSRF_HEADER, token);
  return { ...init, headers };
}

async function refusedForCsrf(response: Response): Promise<boolean> {
  if (response.status !== 403) return false;
  const problem = Problem.safeParse(
    await response
      .clone()
      .json()
      .catch(() => undefined),
  );
  return problem.success && problem.data.title === CSRF_REFUSAL;
}

/**
 * fetch for calls that need a session: never cached; a write carries the CSRF token,
 * asked for first when the page does not know it yet, and once more when control says it
 * changed (a sign-in in another tab starts a new session). A refused token refuses before
 * control does anything, so the one retry cannot do the work twice.
 */
export async function sessionFetch(
  input: RequestInfo | URL,
  init: RequestInit = {},
): Promise<Response> {
  const plain: RequestInit = { ...init, cache: 'no-store' };
  const method = (init.method ?? 'GET').toUpperCase();
  if (method === 'GET' || method === 'HEAD') return fetch(input, plain);
  csrfToken ??= await freshCsrf();
  const first = await fetch(input, withCsrf(plain, csrfToken));
  if (!(await refusedForCsrf(first))) return first;
  csrfToken = await freshCsrf();
  return fetch(input, withCsrf(plain, csrfToken));
}

/** fetch for public calls (sign-in, providers, health): no session involved. */
export function publicFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  return fetch(input, { ...init, cache: 'no-store' });
}

/** Set once the user signs out: the page is leaving for sign-in, and no call's 401 redirects. */
let leaving = false;

/**
 * Leaves for the sign-in page after signing out. A poll answered 401 meanwhile (the session
 * just ended) must not send the page elsewhere too: two navigations race, one is aborted.
 */
export function leaveAfterSignOut(): void {
  leaving = true;
  csrfToken = undefined;
  window.location.assign('/login');
}

/** The session is gone (expired, signed out elsewhere, user disabled): sign in, then come back. */
export function signInAgain(): void {
  csrfToken = undefined;
  if (leaving || typeof window === 'undefined' || window.location.pathname === '/login') return;
  window.location.assign(signInPath(`${window.location.pathname}${window.location.search}`));
}
