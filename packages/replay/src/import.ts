import { z } from 'zod';
import { parseAccessLog } from './access-log.js';
import { type CapturedRequest, countExcluded, type ParsedCapture } from './captured.js';
import {
  CaptureFormat,
  type Corpus,
  type CorpusMeta,
  type MixEntry,
  type ReplayRequest,
  replayRequestProblem,
} from './corpus.js';
import { ImportError, IssueLog } from './errors.js';
import { parseGor } from './gor.js';
import { parseHar } from './har.js';
import { requestMix } from './mix.js';
import { Remapper, RemapRule } from './remap.js';
import { createSanitiser } from './sanitise.js';
import { SessionKeys } from './session.js';

export const ImportOptions = z.object({
  /** Detected from the file name, then the content, when absent. */
  format: CaptureFormat.optional(),
  /** The file name errors and the corpus name. */
  source: z.string().default('<input>'),
  /** Import the good records and count the bad ones instead of failing. */
  skipBad: z.boolean().default(false),
  /** Problems listed at most (all are counted). */
  maxErrors: z.number().int().positive().default(20),
  /** Headers kept although sanitising would drop them (`authorization`, `cookie`…). */
  keepHeaders: z.array(z.string()).default([]),
  mask: z
    .array(
      z
        .string()
        .regex(/^(query|header|body)\..+$/, 'expected query.NAME, header.NAME or body.PATH'),
    )
    .default([]),
  remap: z.array(RemapRule).default([]),
  /** HAR: replay requests that failed in the browser (status 0) too. */
  includeFailed: z.boolean().default(false),
  /** Keep only requests to these hosts (a HAR also holds CDN and analytics calls). */
  hosts: z.array(z.string()).optional(),
  /** Cookie that names a session; default: common names (sessionid, JSESSIONID, …). */
  sessionCookie: z.string().optional(),
  /** Access logs: spread each second's requests across it (one-second timestamps). */
  spreadWithinSecond: z.boolean().default(true),
  /**
   * Shorten idle gaps longer than this to this (a HAR stitched from captures months apart,
   * a log with a quiet night). Default: keep the original timing.
   */
  maxGapMs: z.number().positive().optional(),
  /** Templates listed in the mix before the rest is folded into `other`. */
  mixLimit: z.number().int().positive().default(50),
  /** Stamped into the corpus; default now. */
  importedAt: z.string().optional(),
});
export type ImportOptions = z.input<typeof ImportOptions>;

/** What the CLI prints with --json and what a console list shows. */
export interface ImportSummary {
  format: CaptureFormat;
  source: string;
  requests: number;
  sessions: number;
  durationMs: number;
  skipped: number;
  excluded: Record<string, number>;
  remapped: Record<string, number>;
  errors: Array<{ line: number; message: string }>;
  mix: MixEntry[];
}

export interface ImportResult {
  corpus: Corpus;
  summary: ImportSummary;
}

/** Guesses the format from the extension, then from the first line. */
export function detectFormat(
  source: string,
  input: string | Uint8Array,
): CaptureFormat | undefined {
  const lower = source.toLowerCase();
  if (lower.endsWith('.har')) return 'har';
  if (lower.endsWith('.gor')) return 'gor';
  const head = (
    typeof input === 'string'
      ? input.slice(0, 4096)
      : Buffer.from(input.subarray(0, 4096)).toString('latin1')
  )
    .replace(/^\ufeff/, '')
    .trimStart();
  if (head.startsWith('{')) return 'har';
  if (/^[123] [0-9a-zA-Z-]+ \d+( -?\d+)?\r?\n/.test(head)) return 'gor';
  if (/^\S+ \S+ \S+ \[[^\]]+\] "/.test(head)) return 'access-log';
  return undefined;
}

/** Parses a capture into a replay corpus. Throws ImportError (with line numbers) on bad input. */
export function importCorpus(
  input: string | Uint8Array,
  options: ImportOptions = {},
): ImportResult {
  const opts = ImportOptions.parse(options);
  const format = formatOf(opts, input);
  const issues = new IssueLog(opts.skipBad, opts.maxErrors);
  const parsed = parse(format, input, issues, opts);
  const sanitise = createSanitiser(opts);
  const remapper = new Remapper(opts.remap);
  const captured = keepHosts(parsed, opts.hosts).filter((request) => {
    remapper.apply(request);
    sanitise(request);
    // What is stored is replayed as is: one request, to the target, headers on one line.
    const problem = replayRequestProblem(request);
    if (problem) issues.add({ line: request.line, message: problem.message });
    return problem === undefined;
  });
  if (issues.count > 0 && !opts.skipBad)
    throw new ImportError(opts.source, issues.issues, issues.count);

  captured.sort((a, b) => a.timeMs - b.timeMs || a.line - b.line);
  const times = compressGaps(
    captured.map((r) => r.timeMs),
    opts.maxGapMs,
  );
  const requests = captured.map((request, i) =>
    toReplayRequest(request, times[i]! - (times[0] ?? 0)),
  );

  const corpus: Corpus = {
    meta: corpusMeta(opts, format, {
      firstTimeMs: captured[0]?.timeMs,
      requests: requests.length,
      sessions: new Set(requests.map((r) => r.sessionKey)).size,
      durationMs: requests.at(-1)?.offsetMs ?? 0,
      issues,
      excluded: parsed.excluded,
      remapped: remapper.counts,
    }),
    mix: requestMix(requests, opts.mixLimit),
    requests,
  };
  return { corpus, summary: summarise(corpus) };
}

/** The format asked for, else detected; a capture of no known format is an ImportError. */
export function formatOf(
  opts: z.output<typeof ImportOptions>,
  head: string | Uint8Array,
): CaptureFormat {
  const format = opts.format ?? detectFormat(opts.source, head);
  if (format) return format;
  throw new ImportError(
    opts.source,
    [
      {
        line: 1,
        message:
          'cannot tell the format (not HAR JSON, a gor record or an access-log line); give one',
      },
    ],
    1,
  );
}

/** A corpus's meta from what the import counted. */
export function corpusMeta(
  opts: z.output<typeof ImportOptions>,
  format: CaptureFormat,
  counted: {
    /** Wall-clock time of the first request replayed, when there is one. */
    firstTimeMs: number | undefined;
    requests: number;
    sessions: number;
    durationMs: number;
    issues: IssueLog;
    excluded: Record<string, number>;
    remapped: Record<string, number>;
  },
): CorpusMeta {
  const { firstTimeMs } = counted;
  return {
    version: 1,
    format,
    source: opts.source,
    importedAt: opts.importedAt ?? new Date().toISOString(),
    ...(firstTimeMs !== undefined && Number.isFinite(firstTimeMs)
      ? { startedAt: new Date(firstTimeMs).toISOString() }
      : {}),
    requests: counted.requests,
    sessions: counted.sessions,
    durationMs: counted.durationMs,
    skipped: counted.issues.count,
    skippedReasons: counted.issues.issues,
    excluded: counted.excluded,
    remapped: counted.remapped,
  };
}

export function summarise(corpus: Corpus): ImportSummary {
  const { meta } = corpus;
  return {
    format: meta.format,
    source: meta.source,
    requests: meta.requests,
    sessions: meta.sessions,
    durationMs: meta.durationMs,
    skipped: meta.skipped,
    excluded: meta.excluded,
    remapped: meta.remapped,
    errors: meta.skippedReasons.map((i) => ({
      line: i.line,
      message: i.path ? `${i.path}: ${i.message}` : i.message,
    })),
    mix: corpus.mix.entries,
  };
}

function parse(
  format: CaptureFormat,
  input: string | Uint8Array,
  issues: IssueLog,
  opts: z.output<typeof ImportOptions>,
): ParsedCapture {
  const sessions = new SessionKeys(opts.sessionCookie);
  if (format === 'gor') return parseGor(input, issues, { sessions });
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
  if (format === 'har') {
    return parseHar(text, issues, {
      source: opts.source,
      sessions,
      includeFailed: opts.includeFailed,
    });
  }
  return parseAccessLog(text, issues, { sessions, spreadWithinSecond: opts.spreadWithinSecond });
}

function keepHosts(parsed: ParsedCapture, hosts: string[] | undefined): CapturedRequest[] {
  if (!hosts) return parsed.requests;
  const allowed = new Set(hosts.map((h) => h.toLowerCase()));
  return parsed.requests.filter((r) => {
    const keep = r.host !== undefined && allowed.has(r.host.toLowerCase());
    if (!keep) countExcluded(parsed.excluded, 'host not selected');
    return keep;
  });
}

/** Idle gaps longer than `maxGapMs` shortened to it. */
export function compressGaps(times: ArrayLike<number>, maxGapMs: number | undefined): number[] {
  if (maxGapMs === undefined) return Array.from(times);
  const out: number[] = [];
  let shift = 0;
  for (let i = 0; i < times.length; i++) {
    const gap = i === 0 ? 0 : times[i]! - times[i - 1]!;
    if (gap > maxGapMs) shift += gap - maxGapMs;
    out.push(times[i]! - shift);
  }
  return out;
}

export function toReplayRequest(request: CapturedRequest, offsetMs: number): ReplayRequest {
  return {
    // Microseconds are the finest any format records; more digits only bloat the JSON.
    offsetMs: Math.round(offsetMs * 1000) / 1000,
    method: request.method,
    path: request.path,
    ...(request.host ? { host: request.host } : {}),
    headers: request.headers,
    ...(request.body !== undefined ? { body: request.body } : {}),
    ...(request.bodyEncoding === 'base64' ? { bodyEncoding: 'base64' as const } : {}),
    sessionKey: request.sessionKey,
    source: { line: request.line },
  };
}
