// node:http / node:https `request` and `get`. Headers are set on the ClientRequest right
// after it is created and before anything is written, which works for every call shape
// (url string, URL, options, url + options, callbacks) without re-parsing arguments.
import type * as http from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import type { Shadow } from '../shadow.js';
import { applyPlan, planOutgoing } from './outgoing.js';

type RequestFn = typeof http.request;
type HttpLike = { request: RequestFn; get: typeof http.get };

function requestUrl(req: http.ClientRequest, protocolFallback: string): URL {
  const protocol = req.protocol ?? protocolFallback;
  // Node sets Host (with a non-default port, IPv6 bracketed) unless setHost: false.
  const hostHeader = req.getHeader('host');
  const authority =
    typeof hostHeader === 'string'
      ? hostHeader
      : req.host.includes(':')
        ? `[${req.host}]`
        : req.host;
  return new URL(`${protocol}//${authority}/`);
}

function tagRequest(shadow: Shadow, req: http.ClientRequest, protocol: string): void {
  const plan = planOutgoing(shadow, requestUrl(req, protocol), 'http');
  if (plan.action === 'none') return;
  try {
    applyPlan(plan, {
      get: (n) => {
        const v = req.getHeader(n);
        return v === undefined ? undefined : Array.isArray(v) ? v.join(',') : String(v);
      },
      set: (n, v) => req.setHeader(n, v),
      delete: (n) => req.removeHeader(n),
    });
  } catch {
    // Headers given as a raw array (or `Expect`) are flushed in the constructor and can no
    // longer change; such calls go out untagged. Documented in the README.
  }
}

/** A `request` that tags its ClientRequest. */
export function shadowRequest(shadow: Shadow, inner: RequestFn, protocol = 'http:'): RequestFn {
  return function request(this: unknown, ...args: Parameters<RequestFn>) {
    const req = (inner as (...a: unknown[]) => http.ClientRequest).apply(this, args);
    tagRequest(shadow, req, protocol);
    return req;
  } as RequestFn;
}

/** A `get` built on the tagging `request` (the module's own `get` calls an internal one). */
export function shadowGet(request: RequestFn): typeof http.get {
  return function get(this: unknown, ...args: Parameters<RequestFn>) {
    const req = (request as (...a: unknown[]) => http.ClientRequest).apply(this, args);
    req.end();
    return req;
  } as typeof http.get;
}

const PATCHED = Symbol.for('loadline.shadow.http-client');

/** Patches `request`/`get` on the http or https module in place (zero-code preload). */
export function patchHttpClient(shadow: Shadow, mod: HttpLike, protocol: 'http:' | 'https:'): void {
  const m = mod as HttpLike & { [PATCHED]?: true };
  if (m[PATCHED]) return;
  m.request = shadowRequest(shadow, mod.request, protocol);
  m.get = shadowGet(m.request);
  m[PATCHED] = true;
  // `import { request } from 'node:http'` reads a snapshot of the builtin's exports.
  syncBuiltinESMExports();
}
