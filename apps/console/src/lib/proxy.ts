// The console's door to control: /api/control/* forwarded as it is, at request time.
// It carries who the caller is (session cookie, CSRF token, API token) and where they are
// (X-Forwarded-For/-Proto, which control records in its audit log), hands back what signs
// in and out (Set-Cookie) and what redirects (single sign-on), and never follows a redirect
// itself: the browser must see it.
import { parseIp } from '@loadline/api';
import { hostAllowed, misdirected, problem } from './host-policy';

const REQUEST_HEADERS = [
  'content-type',
  'accept',
  'last-event-id',
  'cookie',
  'authorization',
  'x-loadline-csrf',
];
const RESPONSE_HEADERS = [
  'content-type',
  'cache-control',
  'content-disposition',
  'x-accel-buffering',
  'location',
  'retry-after',
  'www-authenticate',
];
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface ProxyOptions {
  /** control's base URL (LOADLINE_API), no trailing slash */
  api: string;
  /** LOADLINE_PUBLIC_HOSTS */
  publicHosts: readonly string[];
}

/**
 * The browser's address as the console's server knows it: the last hop of X-Forwarded-For
 * (Next.js sets the header to the socket's peer when none came; a reverse proxy in front
 * appends the address it saw), or undefined when that is not an IP address.
 */
export function clientAddress(forwardedFor: string | null): string | undefined {
  const last = forwardedFor?.split(',').at(-1)?.trim() ?? '';
  const bare = last.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  return bare !== '' && parseIp(bare) ? bare : undefined;
}

/**
 * Whether a write comes from another origin: its Origin names another host than the one
 * it was sent to. SameSite=Strict does not tell ports apart (127.0.0.1:8000 is the same
 * site as the console on 127.0.0.1:3000), so this refusal is the first line against
 * cross-site request forgery; control's CSRF token rule is the second.
 */
export function crossOriginWrite(request: Request): boolean {
  if (READS.has(request.method)) return false;
  const origin = request.headers.get('origin');
  if (origin === null) return false;
  try {
    return new URL(origin).host !== (request.headers.get('host') ?? '').toLowerCase();
  } catch {
    return true; // `Origin: null` (a sandboxed frame, a file) is never the console
  }
}

function unreachable(api: string, error: unknown): Response {
  const cause = (error as { cause?: { code?: string } }).cause?.code ?? String(error);
  return new Response(
    JSON.stringify({
      type: 'about:blank',
      title: 'control API unreachable',
      status: 502,
      detail: `no answer from ${api} (${cause}); start it with \`loadline up\` or set LOADLINE_API`,
      unreachable: true,
    }),
    { status: 502, headers: { 'content-type': 'application/problem+json' } },
  );
}

function forwardedHeaders(request: Request): Headers {
  const headers = new Headers();
  for (const name of REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const client = clientAddress(request.headers.get('x-forwarded-for'));
  if (client) headers.set('x-forwarded-for', client);
  const proto = request.headers.get('x-forwarded-proto');
  headers.set(
    'x-forwarded-proto',
    proto === 'https' || proto === 'http' ? proto : new URL(request.url).protocol.slice(0, -1),
  );
  return headers;
}

function answerHeaders(upstream: Response): Headers {
  const out = new Headers();
  for (const name of RESPONSE_HEADERS) {
    const value = upstream.headers.get(name);
    if (value !== null) out.set(name, value);
  }
  // Each cookie on a header of its own: joined with commas they would not parse.
  for (const cookie of upstream.headers.getSetCookie()) out.append('set-cookie', cookie);
  return out;
}

/** Forwards `request` for control's `path` (its segments, decoded) and answers what control did. */
export async function forward(
  request: Request,
  path: readonly string[],
  options: ProxyOptions,
): Promise<Response> {
  const host = request.headers.get('host');
  if (!hostAllowed(host, options.publicHosts)) return misdirected(host);
  if (crossOriginWrite(request)) {
    return problem(
      403,
      'cross-origin write refused',
      `a write to the console must come from its own pages, not from ${request.headers.get('origin')}`,
    );
  }
  const target = `${options.api}/${path.map(encodeURIComponent).join('/')}${new URL(request.url).search}`;
  const hasBody = !READS.has(request.method) && request.method !== 'DELETE';
  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method: request.method,
      headers: forwardedHeaders(request),
      ...(hasBody ? { body: await request.arrayBuffer() } : {}),
      signal: request.signal,
      cache: 'no-store',
      redirect: 'manual',
    });
  } catch (error) {
    return unreachable(options.api, error);
  }
  return new Response(upstream.body, { status: upstream.status, headers: answerHeaders(upstream) });
}
