// Where to land after signing in: `?next=` names a page of this console, and nothing else
// (an open redirect to another site would lend it the console's address).

export const LANDING = '/runs';

/**
 * `text` when it is a path on this origin (a single `/`, no scheme, no `//` or `/\` that a
 * browser reads as another host, no control characters), else the runs list. The sign-in
 * page itself is no landing: it would only sign in again.
 */
export function safeNext(text: string | null | undefined): string {
  if (!text || text.length > 2000) return LANDING;
  if (!/^\/(?![/\\])/.test(text) || /[\p{Cc}\\\s]/u.test(text)) return LANDING;
  const base = 'http://console.invalid';
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    return LANDING;
  }
  if (url.origin !== base || url.pathname === '/login') return LANDING;
  return `${url.pathname}${url.search}${url.hash}`;
}

/** The sign-in page, coming back to `path` afterwards. */
export function signInPath(path: string): string {
  const next = safeNext(path);
  return next === LANDING ? '/login' : `/login?next=${encodeURIComponent(next)}`;
}
