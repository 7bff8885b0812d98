// Shared by every server integration: read the tag from an incoming request, verify it,
// and strip it when untrusted so that nothing downstream (including code that forwards
// headers by hand) can mistake the request for shadow traffic.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { readShadowBaggage, removeShadowBaggage } from './baggage.js';
import type { ShadowContext } from './context.js';
import type { Shadow } from './shadow.js';
import { BAGGAGE_HEADER, BAGGAGE_KEY, SHADOW_HEADER } from './tag.js';

function single(v: string | string[] | undefined): string | undefined {
  // Repeated headers are ambiguous: join them so verification rejects the value.
  return Array.isArray(v) ? v.join(',') : v;
}

/** The raw tag carried by the headers, or undefined when the request is not tagged at all. */
export function incomingTag(headers: IncomingHttpHeaders): string | undefined {
  const header = single(headers[SHADOW_HEADER]);
  const baggage = readShadowBaggage(single(headers[BAGGAGE_HEADER]));
  if (header !== undefined && baggage !== undefined && header !== baggage) {
    return `${header}|${baggage}`; // disagreeing carriers: malformed on purpose
  }
  return header ?? baggage;
}

function stripHeaders(headers: IncomingHttpHeaders): void {
  delete headers[SHADOW_HEADER];
  const rest = removeShadowBaggage(single(headers[BAGGAGE_HEADER]));
  if (rest === undefined) delete headers[BAGGAGE_HEADER];
  else headers[BAGGAGE_HEADER] = rest;
}

function stripRawHeaders(raw: string[]): void {
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    const name = raw[i]!.toLowerCase();
    if (name === SHADOW_HEADER) raw.splice(i, 2);
    else if (name === BAGGAGE_HEADER && raw[i + 1]!.includes(BAGGAGE_KEY)) {
      const rest = removeShadowBaggage(raw[i + 1]);
      if (rest === undefined) raw.splice(i, 2);
      else raw[i + 1] = rest;
    }
  }
}

/** The authority the client addressed: `Host`, or HTTP/2's `:authority`. */
function requestHost(headers: IncomingHttpHeaders): string | undefined {
  return single(headers.host) ?? single(headers[':authority']);
}

/**
 * Verifies the request's tag, and that it was issued for this request's Host (or that the
 * Host is an internal one). Returns the context for a trusted tag; for a missing tag
 * returns undefined; for an untrusted one strips it from `headers` and `rawHeaders`,
 * counts it, and returns undefined (the request continues as production traffic).
 */
export function acceptIncoming(shadow: Shadow, req: IncomingMessage): ShadowContext | undefined {
  const value = incomingTag(req.headers);
  if (value === undefined) return undefined;
  const ctx = shadow.accept(value, { via: 'http', host: requestHost(req.headers) });
  if (!ctx) {
    stripHeaders(req.headers);
    stripRawHeaders(req.rawHeaders);
  }
  return ctx;
}
