import type http from 'node:http';
import { HttpProblem } from './problem.js';

// Reading a request body the way every route does: bounded in size, only JSON (by its
// real media type), bounded in nesting, and without NUL characters (Postgres cannot store
// them, and nothing a person writes needs one).

/** The deepest JSON nesting a body may have: every shape of the API is far shallower. */
export const MAX_JSON_DEPTH = 64;

export interface ReadBody {
  raw: Buffer | undefined;
  json: unknown;
}

/** The media type of a Content-Type header, lowercased, without parameters. */
export function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

export async function readBody(req: http.IncomingMessage, maxBytes: number): Promise<ReadBody> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    throw tooLarge(maxBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      req.resume();
      throw tooLarge(maxBytes);
    }
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return { raw: undefined, json: undefined };
  const type = mediaTypeOf(req.headers['content-type']);
  if (type !== 'application/json') {
    throw new HttpProblem(
      415,
      'unsupported media type',
      `send application/json, got "${type || 'no content type'}"`,
    );
  }
  const raw = Buffer.concat(chunks);
  const depth = nestingDepth(raw);
  if (depth > MAX_JSON_DEPTH) {
    throw new HttpProblem(
      400,
      'JSON nested too deep',
      `the body nests ${depth > 10_000 ? 'over 10000' : depth} levels; at most ${MAX_JSON_DEPTH}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new HttpProblem(400, 'malformed JSON', (error as Error).message);
  }
  const nul = pathWithNul(json);
  if (nul !== undefined) {
    throw new HttpProblem(
      422,
      'invalid request body',
      `${nul || '(body)'}: contains a NUL character`,
      {
        errors: [{ field: nul, message: 'contains a NUL character' }],
      },
    );
  }
  return { raw, json };
}

function tooLarge(maxBytes: number): HttpProblem {
  return new HttpProblem(413, 'request body too large', `the limit is ${maxBytes} bytes`);
}

/**
 * The deepest nesting of arrays and objects in JSON text, found in one pass without
 * parsing (so a body nested a million levels deep costs nothing to refuse).
 */
export function nestingDepth(text: Buffer): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

/** The dotted path of the first key or string holding a NUL, or undefined when none does. */
export function pathWithNul(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\0') ? path : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  const entries = Array.isArray(value) ? value.entries() : Object.entries(value);
  for (const [key, item] of entries) {
    const where = path === '' ? String(key) : `${path}.${key}`;
    if (typeof key === 'string' && key.includes('\0')) return where;
    const found = pathWithNul(item, where);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** 415 unless the request says it sends one of `mediaTypes` (a route that reads lines). */
export function checkLinesType(req: http.IncomingMessage, mediaTypes: readonly string[]): void {
  const type = mediaTypeOf(req.headers['content-type']);
  if (!mediaTypes.includes(type)) {
    throw new HttpProblem(
      415,
      'unsupported media type',
      `send ${mediaTypes.join(' or ')}, got "${type || 'no content type'}"`,
    );
  }
}

/**
 * Reads a body line by line as it arrives, handing each line (without its newline) to
 * `onLine`, and lets other requests run between every few hundred lines: a big upload
 * never holds the event loop, and over `maxBytes` it is refused (413) as soon as it passes.
 */
export async function readLines(
  req: http.IncomingMessage,
  maxBytes: number,
  onLine: (line: string) => void,
): Promise<void> {
  let size = 0;
  let rest = '';
  let sinceYield = 0;
  const decoder = new TextDecoder();
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      req.resume();
      throw tooLarge(maxBytes);
    }
    const lines = (rest + decoder.decode(chunk as Buffer, { stream: true })).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      onLine(line);
      if (++sinceYield >= 500) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }
  rest += decoder.decode();
  if (rest !== '') onLine(rest);
}
