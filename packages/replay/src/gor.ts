import {
  type CapturedRequest,
  countExcluded,
  headerValue,
  type ParsedCapture,
} from './captured.js';
import { excerpt, type IssueLog } from './errors.js';
import { parseHttpRequest } from './http-message.js';
import type { SessionKeys } from './session.js';

/**
 * GoReplay `.gor` files: each record is a header line `TYPE ID TIMESTAMP_NS [LATENCY]`
 * (1 request, 2 response, 3 replayed response), the raw HTTP message, and the separator
 * line `🐵🙈🙉`. The file is read as latin1 so bodies stay byte-exact.
 */
const SEPARATOR = Buffer.from('\n🐵🙈🙉\n', 'utf8').toString('latin1');
const HEADER = /^([123]) ([0-9a-zA-Z-]+) (\d{1,20})(?: (-?\d+))?\r?$/;
/** GoReplay ≥ 1.3 ids: 8 bytes of connection (ports + client IP) then 4 bytes of TCP ack. */
const CONNECTION_ID = /^[0-9a-f]{24}$/;

export interface GorOptions {
  sessions: SessionKeys;
}

export function parseGor(
  input: string | Uint8Array,
  issues: IssueLog,
  options: GorOptions,
): ParsedCapture {
  const text =
    typeof input === 'string'
      ? Buffer.from(input, 'utf8').toString('latin1')
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');
  const requests: CapturedRequest[] = [];
  const excluded: Record<string, number> = {};
  let line = 1;
  for (let start = 0; start < text.length && !issues.full; ) {
    const found = text.indexOf(SEPARATOR, start);
    const end = found === -1 ? text.length : found;
    const record = text.slice(start, end);
    if (record.trim() !== '') parseGorRecord(record, line, requests, excluded, issues, options);
    line += countLines(record) + 2;
    start = end + SEPARATOR.length;
  }
  requests.sort((a, b) => a.timeMs - b.timeMs || a.line - b.line);
  return { requests, excluded };
}

/** One record (latin1, between separators) starting at `line`: a request is pushed. */
export function parseGorRecord(
  record: string,
  line: number,
  requests: CapturedRequest[],
  excluded: Record<string, number>,
  issues: IssueLog,
  options: GorOptions,
): void {
  const newline = record.indexOf('\n');
  const headerLine = newline === -1 ? record : record.slice(0, newline);
  const header = HEADER.exec(headerLine);
  if (!header) {
    issues.add({
      line,
      message: `not a gor record header (TYPE ID TIMESTAMP_NS LATENCY): ${excerpt(JSON.stringify(headerLine), 60)}`,
    });
    return;
  }
  if (header[1] !== '1') {
    countExcluded(excluded, header[1] === '2' ? 'responses' : 'replayed responses');
    return;
  }
  const message = parseHttpRequest(newline === -1 ? '' : record.slice(newline + 1));
  if (typeof message === 'string') {
    issues.add({ line: line + 1, message: `malformed gor request ${header[2]}: ${message}` });
    return;
  }
  let path = message.target;
  let host = headerValue(message.headers, 'host');
  if (!path.startsWith('/')) {
    try {
      const url = new URL(path);
      path = `${url.pathname}${url.search}`;
      host = url.host;
    } catch {
      issues.add({ line: line + 1, message: `request target is not a path: ${excerpt(path, 60)}` });
      return;
    }
  }
  const body = message.body === '' ? undefined : toBody(message.body);
  requests.push({
    line,
    // ns since the epoch exceed 2^53: divide as a bigint, keep microseconds.
    timeMs: Number(BigInt(header[3]!) / 1000n) / 1000,
    method: message.method.toUpperCase(),
    path,
    ...(host ? { host } : {}),
    headers: message.headers,
    ...body,
    sessionKey: sessionKey(header[2]!, message.headers, options.sessions),
  });
}

/**
 * GoReplay records carry no session. In order of trust: a session cookie; a bearer token;
 * the client address a proxy forwarded (with the user agent), because behind a load
 * balancer one backend connection carries many users; the TCP connection from the id
 * (GoReplay ≥ 1.3 ids start with ports and client IP); else the request is its own session.
 */
function sessionKey(
  id: string,
  headers: CapturedRequest['headers'],
  sessions: SessionKeys,
): string {
  const forwarded = headerValue(headers, 'x-forwarded-for') ?? headerValue(headers, 'x-real-ip');
  return (
    sessions.fromCookie(headers) ??
    sessions.fromAuthorization(headers) ??
    (forwarded
      ? sessions.fromClient(forwarded.split(',')[0]!.trim(), headerValue(headers, 'user-agent'))
      : CONNECTION_ID.test(id)
        ? `conn:${id.slice(0, 16)}`
        : `req:${id}`)
  );
}

function toBody(latin1: string): Pick<CapturedRequest, 'body' | 'bodyEncoding'> {
  const bytes = Buffer.from(latin1, 'latin1');
  try {
    return { body: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { body: bytes.toString('base64'), bodyEncoding: 'base64' };
  }
}

export function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
