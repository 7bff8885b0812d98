// fetch and undici. `shadowFetch` wraps any WHATWG fetch (global or undici's);
// `shadowInterceptor` is an undici dispatcher interceptor for code that uses undici's
// request/stream/Pool directly: `new Agent().compose(shadowInterceptor(shadow))`.
import type { Dispatcher } from 'undici';
import type { Shadow } from '../shadow.js';
import { applyPlan, planOutgoing, recordAccess } from './outgoing.js';

type Fetch = typeof globalThis.fetch;

export function shadowFetch(shadow: Shadow, inner: Fetch = globalThis.fetch): Fetch {
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const plan = planOutgoing(shadow, url, 'fetch');
    if (plan.action === 'none') return inner(input, init);
    // Start from the Request's own headers: init.headers, when given, replaces them.
    const headers = new Headers(input instanceof Request ? input.headers : undefined);
    for (const [k, v] of new Headers(init?.headers)) headers.set(k, v);
    applyPlan(plan, {
      get: (n) => headers.get(n) ?? undefined,
      set: (n, v) => headers.set(n, v),
      delete: (n) => headers.delete(n),
    });
    return inner(input, { ...init, headers });
  };
}

type DispatchOptions = Dispatcher.DispatchOptions;

/** Normalises undici's three header shapes (record, flat array, iterable of pairs). */
function headerRecord(headers: DispatchOptions['headers']): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!headers) return out;
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) out[String(headers[i])] = headers[i + 1];
    return out;
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [k, v] of headers as Iterable<[string, string | string[] | undefined]>) out[k] = v;
    return out;
  }
  return { ...(headers as Record<string, unknown>) };
}

export function shadowInterceptor(shadow: Shadow): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => {
    const origin = opts.origin ?? '';
    const plan = planOutgoing(shadow, new URL(opts.path, origin), 'undici');
    if (plan.action === 'none') return dispatch(opts, handler);
    const headers = headerRecord(opts.headers);
    applyPlan(plan, recordAccess(headers));
    return dispatch({ ...opts, headers: headers as DispatchOptions['headers'] }, handler);
  };
}
