import { type CapturedRequest, countExcluded, type ParsedCapture } from './captured.js';
import type { Header } from './corpus.js';
import { excerpt, type IssueLog } from './errors.js';
import type { SessionKeys } from './session.js';

/**
 * Apache/nginx access logs: common (`%h %l %u %t "%r" %>s %b`) and combined (plus
 * `"%{Referer}i" "%{User-agent}i"`). Extra *quoted* fields after those (nginx's
 * `"$http_x_forwarded_for"`) are allowed; unquoted extras are not, because then a line
 * whose user agent lost its closing quote would pass as a common log line.
 */
const QUOTED = '"((?:[^"\\\\]|\\\\.)*)"';
const LINE = new RegExp(
  `^(\\S+) \\S+ \\S+ \\[([^\\]]+)\\] ${QUOTED} (?:\\d{3}|-) (?:\\d+|-)(?: ${QUOTED} ${QUOTED})?(?: "(?:[^"\\\\]|\\\\.)*")*\\s*$`,
);
const TIME = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;
const REQUEST = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*) (\S+)(?: HTTP\/\d(?:\.\d)?)?$/;
const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

export interface AccessLogOptions {
  sessions: SessionKeys;
  /**
   * Logs have one-second timestamps. Spread the requests of one second evenly across it
   * (in log order) instead of firing them as one burst; on by default.
   */
  spreadWithinSecond?: boolean;
}

export function parseAccessLog(
  text: string,
  issues: IssueLog,
  options: AccessLogOptions,
): ParsedCapture {
  const requests: CapturedRequest[] = [];
  const excluded: Record<string, number> = {};
  const lines = text.split('\n');
  for (let index = 0; index < lines.length && !issues.full; index++) {
    const request = parseAccessLogLine(
      lines[index]!,
      index + 1,
      issues,
      excluded,
      options.sessions,
    );
    if (request) requests.push(request);
  }
  // Logs are written when a request *ends*, so they are out of order (the sample log has
  // half its lines earlier than the line before): order by time, then by line.
  requests.sort((a, b) => a.timeMs - b.timeMs || a.line - b.line);
  if (options.spreadWithinSecond !== false) spreadWithinSeconds(requests);
  return { requests, excluded };
}

/**
 * One line of a log (without its `\n`): the request, or undefined for a blank line, a bad
 * one (added to `issues`) or one that cannot be sent again (counted in `excluded`).
 */
export function parseAccessLogLine(
  text: string,
  lineNumber: number,
  issues: IssueLog,
  excluded: Record<string, number>,
  sessions: SessionKeys,
): CapturedRequest | undefined {
  const line = text.endsWith('\r') ? text.slice(0, -1) : text;
  if (line.trim() === '') return undefined;
  const match = LINE.exec(line);
  if (!match) {
    issues.add({
      line: lineNumber,
      message: `not a combined log line: ${diagnose(line)}: ${excerpt(line)}`,
    });
    return undefined;
  }
  const [, client, stamp, rawRequest, referer, userAgent] = match;
  const timeMs = parseLogTime(stamp!);
  if (timeMs === undefined) {
    issues.add({ line: lineNumber, message: `bad timestamp [${stamp}]: ${excerpt(line)}` });
    return undefined;
  }
  const request = REQUEST.exec(unescapeField(rawRequest!));
  const target = request ? toPath(request[2]!) : undefined;
  if (!request || !target) {
    // A well-formed line about a request that cannot be sent again: nginx's "-" for a
    // client that closed early, TLS bytes sent to a plain port, `OPTIONS *`.
    countExcluded(excluded, 'request line not replayable');
    return undefined;
  }
  const headers: Header[] = [];
  const agent = userAgent === undefined ? undefined : unescapeField(userAgent);
  if (agent && agent !== '-') headers.push(['user-agent', agent]);
  if (referer && referer !== '-') headers.push(['referer', unescapeField(referer)]);
  return {
    line: lineNumber,
    timeMs,
    method: request[1]!.toUpperCase(),
    path: target.path,
    ...(target.host ? { host: target.host } : {}),
    headers,
    sessionKey: sessions.fromClient(client!, agent),
  };
}

/** `20/May/2015:12:05:26 +0000` → epoch ms, or undefined. */
export function parseLogTime(stamp: string): number | undefined {
  const m = TIME.exec(stamp);
  const month = m ? MONTHS[m[2]!] : undefined;
  if (!m || month === undefined) return undefined;
  const utc = Date.UTC(+m[3]!, month, +m[1]!, +m[4]!, +m[5]!, +m[6]!);
  const zone = (m[7] === '-' ? -1 : 1) * (+m[8]! * 60 + +m[9]!) * 60_000;
  return Number.isNaN(utc) ? undefined : utc - zone;
}

function toPath(target: string): { path: string; host?: string } | undefined {
  if (target.startsWith('/')) return { path: target };
  // A forward proxy logs absolute URLs.
  if (/^https?:\/\//i.test(target)) {
    try {
      const url = new URL(target);
      return { path: `${url.pathname}${url.search}`, host: url.host };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Apache escapes `"` and `\` with a backslash and control bytes as `\xhh`; nginx uses `\xhh`. */
function unescapeField(value: string): string {
  if (!value.includes('\\')) return value;
  return value.replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, code: string) =>
    code.length === 3 ? String.fromCharCode(Number.parseInt(code.slice(1), 16)) : code,
  );
}

function spreadWithinSeconds(requests: CapturedRequest[]): void {
  for (let start = 0; start < requests.length; ) {
    const second = requests[start]!.timeMs;
    let end = start + 1;
    while (end < requests.length && requests[end]!.timeMs === second) end++;
    const step = 1000 / (end - start);
    for (let i = start; i < end; i++) requests[i]!.timeMs = second + (i - start) * step;
    start = end;
  }
}

/** Why a line is not a log line, in words a user can act on. */
function diagnose(line: string): string {
  if (line.startsWith('{')) return 'looks like JSON';
  if (!/^\S+ \S+ \S+ \[[^\]]+\] /.test(line)) return 'expected "HOST IDENT USER [TIME] " first';
  const quotes = line.replace(/\\./g, '').split('"').length - 1;
  if (quotes % 2 === 1) return 'a quoted field is not closed';
  if (!/\] "/.test(line)) return 'the request line is not quoted';
  if (!/" (\d{3}|-) (\d+|-)/.test(line)) return 'expected STATUS BYTES after the request';
  return 'unexpected fields after BYTES';
}
