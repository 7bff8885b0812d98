// Before any page: the Host must be one the console answers to (DNS rebinding), and a page
// needs a session cookie, else the sign-in page (coming back here afterwards). Whether the
// session is still good is control's to say: a page whose calls answer 401 signs in again.
import { type NextRequest, NextResponse } from 'next/server';
import { publicHosts } from '@/lib/control-url';
import { hostAllowed, misdirected } from '@/lib/host-policy';
import { signInPath } from '@/lib/next-path';

const SESSION_COOKIE = 'loadline_session';

/** Paths that need no session: the sign-in page, the proxy (control decides), files. */
function open(path: string): boolean {
  return (
    path === '/login' ||
    path.startsWith('/_next/') ||
    path.startsWith('/api/control/') ||
    /\/[^/]+\.[A-Za-z0-9]+$/.test(path)
  );
}

export function middleware(request: NextRequest): Response | undefined {
  const host = request.headers.get('host');
  if (!hostAllowed(host, publicHosts())) return misdirected(host);
  const { pathname } = request.nextUrl;
  if (open(pathname) || request.cookies.get(SESSION_COOKIE)?.value) return undefined;
  // Back to the page itself, not to the router's internal request for it.
  const query = new URLSearchParams(request.nextUrl.search);
  query.delete('_rsc');
  const search = query.size > 0 ? `?${query}` : '';
  // On the Host the browser used (checked above): Next's own URL may name another
  // (localhost for 127.0.0.1), whose cookies the browser keeps apart.
  const here = `${request.nextUrl.protocol}//${host}`;
  const answer = NextResponse.redirect(new URL(signInPath(`${pathname}${search}`), here));
  answer.headers.set('cache-control', 'no-store');
  return answer;
}

export const config = {
  // Node.js, not the edge runtime: the console's environment is parsed as on the server.
  runtime: 'nodejs',
  // Every path but the build's static files (the Host rule covers the proxy and pages).
  matcher: ['/((?!_next/static|_next/image).*)'],
};
