// Forwards /api/control/* to the control API at request time, streams included (SSE).
// A rewrite in next.config would be frozen into the build; this reads LOADLINE_API when
// the console runs, so one build can point at any control.
import { controlUrl } from '@/lib/control-url';

export const dynamic = 'force-dynamic';

const REQUEST_HEADERS = ['content-type', 'accept', 'last-event-id'];
const RESPONSE_HEADERS = [
  'content-type',
  'cache-control',
  'content-disposition',
  'x-accel-buffering',
];

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

async function proxy(
  request: Request,
  { params }: { params: Promise<{ path: string[] }> },
): Promise<Response> {
  const { path } = await params;
  const api = controlUrl();
  const target = `${api}/${path.map(encodeURIComponent).join('/')}${new URL(request.url).search}`;
  const headers = new Headers();
  for (const name of REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method: request.method,
      headers,
      ...(hasBody ? { body: await request.arrayBuffer() } : {}),
      signal: request.signal,
      cache: 'no-store',
    });
  } catch (error) {
    return unreachable(api, error);
  }
  const out = new Headers();
  for (const name of RESPONSE_HEADERS) {
    const value = upstream.headers.get(name);
    if (value !== null) out.set(name, value);
  }
  return new Response(upstream.body, { status: upstream.status, headers: out });
}

export { proxy as DELETE, proxy as GET, proxy as POST, proxy as PUT };
