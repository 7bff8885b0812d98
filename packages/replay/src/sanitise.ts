import { RESERVED_HEADERS } from '@loadline/scenario/request-rules';
import type { Header } from './corpus.js';
import { editBody, editJsonPath, editQuery } from './fields.js';

/** What a masked value becomes: fixed, so masked corpora diff cleanly and compress well. */
export const MASK = '***';

/** Credentials: dropped unless kept by name, so a shared corpus does not replay someone's login. */
export const CREDENTIAL_HEADERS = ['cookie', 'authorization', 'set-cookie', 'proxy-authorization'];

/**
 * Meaningful only on the original connection (RFC 9110 §7.6.1) or recomputed at replay:
 * `host` comes from the replay target, `content-length` from the (maybe masked) body,
 * `expect: 100-continue` would stall a replayer that does not wait for the 100.
 */
export const CONNECTION_HEADERS = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
  'content-length',
  'expect',
];

/**
 * Never kept, whatever `keepHeaders` says: framing must match the body sent, the replay
 * target is the only origin (`host`), and a shadow run's tag and baggage are loadline's to
 * add. A corpus holding one is refused (see replayRequestProblem).
 */
const ALWAYS_DROPPED: ReadonlySet<string> = new Set(RESERVED_HEADERS.keys());

/** `query.token`, `header.x-api-key`, `body.card.number` (dot path; `*` any key or index). */
export interface MaskField {
  in: 'query' | 'header' | 'body';
  name: string;
}

export function parseMaskField(spec: string): MaskField {
  const match = /^(query|header|body)\.(.+)$/.exec(spec);
  if (!match) {
    throw new Error(
      `mask field "${spec}": expected query.NAME, header.NAME or body.PATH (e.g. body.card.number)`,
    );
  }
  return { in: match[1] as MaskField['in'], name: match[2]! };
}

export interface SanitiseOptions {
  /** Header names to keep although they would be dropped (e.g. `authorization`). */
  keepHeaders?: string[];
  /** Fields to mask, as `query.NAME`, `header.NAME`, `body.PATH`. */
  mask?: string[];
}

export interface Sanitisable {
  path: string;
  headers: Header[];
  body?: string;
  bodyEncoding?: 'utf8' | 'base64';
}

/** Builds the sanitiser once per import; it edits requests in place and counts masked values. */
export function createSanitiser(options: SanitiseOptions): (request: Sanitisable) => number {
  const keep = new Set((options.keepHeaders ?? []).map((h) => h.toLowerCase()));
  const drop = new Set([
    ...[...CREDENTIAL_HEADERS, ...CONNECTION_HEADERS].filter((h) => !keep.has(h)),
    ...ALWAYS_DROPPED,
  ]);
  const fields = (options.mask ?? []).map(parseMaskField);
  const maskHeaders = new Set(
    fields.filter((f) => f.in === 'header').map((f) => f.name.toLowerCase()),
  );
  const maskQuery = new Set(fields.filter((f) => f.in === 'query').map((f) => f.name));
  const maskBody = fields.filter((f) => f.in === 'body').map((f) => f.name.split('.'));
  const mask = () => MASK;

  return (request) => {
    let masked = 0;
    request.headers = request.headers.flatMap(([name, value]): Header[] => {
      const lower = name.toLowerCase();
      // HTTP/2 pseudo-headers (`:authority`) are not headers.
      if (lower.startsWith(':') || drop.has(lower)) return [];
      if (maskHeaders.has(lower)) {
        masked++;
        return [[name, MASK]];
      }
      return [[name, value]];
    });
    if (maskQuery.size > 0) {
      const result = editQuery(request.path, (name) => (maskQuery.has(name) ? MASK : undefined));
      request.path = result.path;
      masked += result.changed;
    }
    if (maskBody.length > 0 && request.body && request.bodyEncoding !== 'base64') {
      const contentType = request.headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1];
      const result = editBody(request.body, contentType, {
        json: (doc) => maskBody.reduce((n, path) => n + editJsonPath(doc, path, mask), 0),
        form: (name) => (maskBody.some((p) => p.length === 1 && p[0] === name) ? MASK : undefined),
      });
      request.body = result.body;
      masked += result.changed;
    }
    return masked;
  };
}
