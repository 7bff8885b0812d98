// Which Host names the console answers to, in one place for the middleware (pages) and the
// control proxy. A browser tricked by DNS rebinding (evil.example resolving to 127.0.0.1)
// sends `Host: evil.example`: answering it would let that site read the console's pages
// and call control with the user's session, so the console refuses it with 421.
import { isLoopback } from '@loadline/api';

/** A Host header: a name or IPv4 address, or a bracketed IPv6 one, with an optional port. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::[0-9]{1,5})?$/;

/** The name a Host header (or a LOADLINE_PUBLIC_HOSTS entry) names: lower-case, no port, no brackets, no final dot. */
export function hostName(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/:[0-9]{1,5}$/, '')
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
}

/**
 * Whether the console answers to `host`: loopback (127.0.0.0/8, ::1, localhost, the one
 * loopback policy of @loadline/api) or a name in `publicHosts`, with any port.
 */
export function hostAllowed(
  host: string | null | undefined,
  publicHosts: readonly string[],
): boolean {
  if (!host || !HOST.test(host)) return false;
  const name = hostName(host);
  if (name === '') return false;
  if (publicHosts.some((entry) => hostName(entry) === name)) return true;
  return isLoopback(`http://${name.includes(':') ? `[${name}]` : name}`);
}

/** An RFC 9457 problem answer. */
export function problem(status: number, title: string, detail: string): Response {
  return new Response(JSON.stringify({ type: 'about:blank', title, status, detail }), {
    status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store' },
  });
}

/** The answer to a request whose Host the console does not answer to. */
export function misdirected(host: string | null): Response {
  const shown = JSON.stringify((host ?? '').slice(0, 100));
  return problem(
    421,
    'unknown host',
    `this console does not answer to Host ${shown}; list its public name in LOADLINE_PUBLIC_HOSTS`,
  );
}
