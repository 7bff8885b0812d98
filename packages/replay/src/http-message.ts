import type { Header } from './corpus.js';

/** A raw HTTP/1.x request, parsed from a binary-safe (latin1) string. */
export interface RawHttpRequest {
  method: string;
  target: string;
  headers: Header[];
  /** latin1 string: one char per byte. */
  body: string;
}

const REQUEST_LINE = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*) (\S+) HTTP\/1\.[01]$/;

/** Parses one request or returns why it is malformed. */
export function parseHttpRequest(raw: string): RawHttpRequest | string {
  const headEnd = findHeadEnd(raw);
  if (headEnd === undefined) return 'no blank line after the headers (message cut short?)';
  const lines = raw.slice(0, headEnd.at).split(/\r?\n/);
  const requestLine = REQUEST_LINE.exec(lines[0] ?? '');
  if (!requestLine)
    return `not an HTTP/1.x request line: ${JSON.stringify((lines[0] ?? '').slice(0, 60))}`;
  const headers: Header[] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return `not a header line: ${JSON.stringify(line.slice(0, 60))}`;
    headers.push([decode(line.slice(0, colon).trim()), decode(line.slice(colon + 1).trim())]);
  }
  const rest = raw.slice(headEnd.at + headEnd.length);
  const body = readBody(headers, rest);
  if (typeof body !== 'string') return body.error;
  return { method: requestLine[1]!, target: decode(requestLine[2]!), headers, body };
}

function findHeadEnd(raw: string): { at: number; length: number } | undefined {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return { at: crlf, length: 4 };
  if (lf !== -1) return { at: lf, length: 2 };
  // Headers only, no body, and the capture dropped the final empty line.
  return /\r?\n$/.test(raw) ? { at: raw.length, length: 0 } : undefined;
}

function readBody(headers: Header[], rest: string): string | { error: string } {
  const get = (name: string) => headers.find(([key]) => key.toLowerCase() === name)?.[1];
  if (/chunked/i.test(get('transfer-encoding') ?? '')) return dechunk(rest);
  const length = get('content-length');
  if (length === undefined) return rest;
  const size = Number(length);
  if (!Number.isInteger(size) || size < 0) return { error: `bad Content-Length: ${length}` };
  if (rest.length < size) {
    return { error: `body has ${rest.length} bytes, Content-Length says ${size} (cut short?)` };
  }
  return rest.slice(0, size);
}

function dechunk(rest: string): string | { error: string } {
  let body = '';
  let at = 0;
  for (;;) {
    const eol = rest.indexOf('\r\n', at);
    if (eol === -1) return { error: 'chunked body cut short' };
    const size = Number.parseInt(rest.slice(at, eol).split(';')[0]!, 16);
    if (Number.isNaN(size)) return { error: 'bad chunk size' };
    if (size === 0) return body;
    if (eol + 2 + size > rest.length) return { error: 'chunked body cut short' };
    body += rest.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

/** Header bytes are latin1 on the wire; decode them as UTF-8 when they are valid UTF-8. */
function decode(latin1: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: checking for non-ASCII bytes
  if (!/[^\x00-\x7f]/.test(latin1)) return latin1;
  const text = Buffer.from(latin1, 'latin1').toString('utf8');
  return text.includes('\ufffd') ? latin1 : text;
}
