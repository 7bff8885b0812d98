// Forwards /api/control/* to the control API at request time, streams included (SSE).
// A rewrite in next.config would be frozen into the build; this reads LOADLINE_API when
// the console runs, so one build can point at any control. What is forwarded, and what is
// refused (an unknown Host, a write from another origin), is in lib/proxy.ts.
import { controlUrl, publicHosts } from '@/lib/control-url';
import { forward } from '@/lib/proxy';

export const dynamic = 'force-dynamic';

async function proxy(
  request: Request,
  { params }: { params: Promise<{ path: string[] }> },
): Promise<Response> {
  const { path } = await params;
  return forward(request, path, { api: controlUrl(), publicHosts: publicHosts() });
}

export { proxy as DELETE, proxy as GET, proxy as PATCH, proxy as POST, proxy as PUT };
