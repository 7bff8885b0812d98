import { z } from 'zod';
import { type CapturedRequest, countExcluded, type ParsedCapture } from './captured.js';
import type { Header } from './corpus.js';
import { fatal, type IssueLog, LineIndex } from './errors.js';
import { findJsonError } from './json-error.js';
import { joinPath, locateValues, nearestOffset } from './json-locate.js';
import type { SessionKeys } from './session.js';

/**
 * HAR 1.2, only the fields a replay needs. Browsers disagree on the rest (Safari leaves
 * httpVersion empty, Chrome adds `_initiator`), so anything else is accepted as is.
 */
const NameValue = z.object({ name: z.string(), value: z.string() });
const HarEntry = z.object({
  pageref: z.string().optional(),
  startedDateTime: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not an ISO 8601 date'),
  request: z.object({
    method: z.string().min(1),
    url: z.string().min(1),
    headers: z.array(NameValue),
    postData: z
      .object({
        mimeType: z.string().optional(),
        text: z.string().optional(),
        params: z.array(z.object({ name: z.string(), value: z.string().optional() })).optional(),
        // Not in HAR 1.2, but Charles and some exporters mark binary bodies this way.
        encoding: z.string().optional(),
      })
      .optional(),
  }),
  // Required by the spec; hand-written HARs (har-to-k6's examples) leave it out.
  response: z.object({ status: z.number() }).optional(),
});
type HarEntry = z.infer<typeof HarEntry>;

const HarDocument = z.object({ log: z.object({ entries: z.array(z.unknown()) }) });

export interface HarOptions {
  source: string;
  sessions: SessionKeys;
  /** Replay entries the browser never got an answer for (status 0); off by default. */
  includeFailed?: boolean;
}

/** Depth of `log.entries[i].request.url`: positions deeper than that are not needed. */
const LOCATE_DEPTH = 5;

export function parseHar(text: string, issues: IssueLog, options: HarOptions): ParsedCapture {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = new LineIndex(text);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    const at = lines.position(Math.max(0, findJsonError(text)));
    throw fatal(options.source, {
      ...at,
      message: `not valid JSON (${(error as Error).message}); a truncated HAR ends early`,
    });
  }
  const offsets = locateValues(text, LOCATE_DEPTH);
  const top = HarDocument.safeParse(document);
  if (!top.success) {
    const issue = top.error.issues[0]!;
    const path = issue.path.map((k) => (typeof k === 'number' ? k : String(k)));
    throw fatal(options.source, {
      ...lines.position(nearestOffset(offsets, path)),
      path: path.reduce<string>(joinPath, ''),
      message: `${describe(issue)}; not a HAR file`,
    });
  }

  const requests: CapturedRequest[] = [];
  const excluded: Record<string, number> = {};
  const entries = top.data.log.entries;
  for (let index = 0; index < entries.length && !issues.full; index++) {
    const base = ['log', 'entries', index];
    const line = lines.position(nearestOffset(offsets, base)).line;
    const parsed = HarEntry.safeParse(entries[index]);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const path = [...base, ...issue.path.map((k) => (typeof k === 'number' ? k : String(k)))];
      issues.add({
        line: lines.position(nearestOffset(offsets, path)).line,
        path: path.reduce<string>(joinPath, ''),
        message: describe(issue),
      });
      continue;
    }
    const entry = parsed.data;
    let url: URL;
    try {
      url = new URL(entry.request.url);
    } catch {
      issues.add({
        line: lines.position(nearestOffset(offsets, [...base, 'request', 'url'])).line,
        path: [...base, 'request', 'url'].reduce<string>(joinPath, ''),
        message: `not an absolute URL: ${entry.request.url.slice(0, 80)}`,
      });
      continue;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      countExcluded(excluded, `not http(s) (${url.protocol})`);
      continue;
    }
    if (entry.response?.status === 0 && !options.includeFailed) {
      countExcluded(excluded, 'failed in the browser (status 0)');
      continue;
    }
    requests.push(toCaptured(entry, url, line, options.sessions));
  }
  return { requests, excluded };
}

function toCaptured(
  entry: HarEntry,
  url: URL,
  line: number,
  sessions: SessionKeys,
): CapturedRequest {
  const headers: Header[] = entry.request.headers.map(({ name, value }) => [name, value]);
  const request: CapturedRequest = {
    line,
    timeMs: Date.parse(entry.startedDateTime),
    method: entry.request.method.toUpperCase(),
    path: `${url.pathname}${url.search}`,
    host: url.host,
    headers,
    // A HAR is one browser: a session cookie names the user, else each page is a session.
    sessionKey: sessions.fromCookie(headers) ?? (entry.pageref ? `page:${entry.pageref}` : 'har'),
  };
  const post = entry.request.postData;
  if (post?.text !== undefined && post.text !== '') {
    request.body = post.text;
    if (post.encoding === 'base64') request.bodyEncoding = 'base64';
  } else if (post?.params?.length) {
    request.body = new URLSearchParams(
      post.params.map((p): [string, string] => [p.name, p.value ?? '']),
    ).toString();
  }
  return request;
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
    return `required ${issue.expected} is missing`;
  }
  return issue.message;
}
