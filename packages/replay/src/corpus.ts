import {
  headerNameProblem,
  headerValueProblem,
  methodProblem,
  requestTargetProblem,
} from '@loadline/scenario/request-rules';
import { z } from 'zod';

export const CaptureFormat = z.enum(['har', 'access-log', 'gor']);
export type CaptureFormat = z.infer<typeof CaptureFormat>;

/** `[name, value]` in capture order; duplicates allowed (two `Accept` lines stay two). */
export const Header = z.tuple([z.string(), z.string()]);
export type Header = z.infer<typeof Header>;

/** A problem of one captured request, at its field (`path`, `headers[2]`, …). */
export interface ReplayRequestProblem {
  path: Array<string | number>;
  message: string;
}

/**
 * Why a captured request cannot be replayed as one request to the replay target, or
 * undefined when it can: the rules scenarios follow (@loadline/scenario's request rules),
 * checked at import and when a corpus is stored; the engine checks every send again.
 */
export function replayRequestProblem(
  request: Pick<ReplayRequest, 'method' | 'path' | 'headers'>,
): ReplayRequestProblem | undefined {
  const method = methodProblem(request.method);
  if (method) return { path: ['method'], message: method };
  const target = requestTargetProblem(request.path);
  if (target) return { path: ['path'], message: target };
  for (const [i, [name, value]] of request.headers.entries()) {
    const problem = headerNameProblem(name) ?? headerValueProblem(value);
    if (problem) return { path: ['headers', i], message: `header "${name}": ${problem}` };
  }
  return undefined;
}

const ReplayRequestFields = z.object({
  /** When it was sent, in ms after the corpus's first request. */
  offsetMs: z.number().nonnegative(),
  method: z.string().min(1),
  /** Path with query, e.g. `/api/products?page=2`; the replay target supplies the origin. */
  path: z.string().startsWith('/'),
  /** The original host, for multi-host captures (a HAR of a page and its CDN). */
  host: z.string().optional(),
  headers: z.array(Header),
  body: z.string().optional(),
  /** `base64` when the body is not UTF-8 text; absent means utf8. */
  bodyEncoding: z.enum(['utf8', 'base64']).optional(),
  /** Requests with the same key run on one agent, in order (see README: sessions). */
  sessionKey: z.string().min(1),
  source: z.object({ line: z.number().int().positive() }),
});

export const ReplayRequest = ReplayRequestFields.superRefine((request, ctx) => {
  const problem = replayRequestProblem(request);
  if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
});
export type ReplayRequest = z.infer<typeof ReplayRequestFields>;

export const MixEntry = z.object({
  method: z.string(),
  /** Normalised path template, e.g. `/api/products/{id}`. */
  template: z.string(),
  count: z.number().int().nonnegative(),
  /** count / total, 0..1. */
  share: z.number().min(0).max(1),
});
export type MixEntry = z.infer<typeof MixEntry>;

/** The request mix a console page shows: the top templates, and the tail folded into one. */
export const RequestMix = z.object({
  total: z.number().int().nonnegative(),
  /** Distinct method + template pairs, before the cut. */
  distinct: z.number().int().nonnegative(),
  entries: z.array(MixEntry),
  other: z.object({
    templates: z.number().int().nonnegative(),
    count: z.number().int().nonnegative(),
    share: z.number().min(0).max(1),
  }),
});
export type RequestMix = z.infer<typeof RequestMix>;

export const IssueRecord = z.object({
  line: z.number().int(),
  column: z.number().int().optional(),
  path: z.string().optional(),
  message: z.string(),
});

export const CorpusMeta = z.object({
  /** Bumped when the corpus shape changes incompatibly; control refuses unknown versions. */
  version: z.literal(1),
  format: CaptureFormat,
  /** File name (or any label) the corpus came from. */
  source: z.string(),
  importedAt: z.string(),
  /** Wall-clock time of the first request (ISO 8601), when the capture has one. */
  startedAt: z.string().optional(),
  requests: z.number().int().nonnegative(),
  sessions: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
  /** Bad records left out under skipBad, and the first few reasons. */
  skipped: z.number().int().nonnegative(),
  skippedReasons: z.array(IssueRecord),
  /** Good records deliberately not replayed, by reason (responses in a .gor, status 0 in a HAR). */
  excluded: z.record(z.string(), z.number().int().nonnegative()),
  /** Values rewritten per remap rule (by its label), so a rule that matched nothing shows. */
  remapped: z.record(z.string(), z.number().int().nonnegative()),
});
export type CorpusMeta = z.infer<typeof CorpusMeta>;

export const Corpus = z.object({
  meta: CorpusMeta,
  mix: RequestMix,
  requests: z.array(ReplayRequest),
});
export type Corpus = z.infer<typeof Corpus>;

/** One JSON document: what control stores and versions for a small corpus. */
export function corpusToJson(corpus: Corpus): string {
  return JSON.stringify(corpus);
}

/** Parses and validates a stored corpus (a boundary: nothing untyped flows inward). */
export function corpusFromJson(text: string): Corpus {
  return Corpus.parse(JSON.parse(text));
}

/** The first line of a JSON Lines corpus: its meta and mix. */
export const JsonLinesHead = z.object({ meta: CorpusMeta, mix: RequestMix });

/**
 * JSON Lines: a head line `{ meta, mix }`, then one request per line. A big corpus can be
 * streamed, diffed and split by line without holding one giant string.
 */
export function* corpusToJsonLines(corpus: Corpus): Generator<string> {
  yield `${JSON.stringify({ meta: corpus.meta, mix: corpus.mix })}\n`;
  for (const request of corpus.requests) yield `${JSON.stringify(request)}\n`;
}

export function corpusFromJsonLines(text: string): Corpus {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const head = JsonLinesHead.parse(JSON.parse(lines[0] ?? 'null'));
  const requests = lines.slice(1).map((line) => ReplayRequest.parse(JSON.parse(line)));
  if (requests.length !== head.meta.requests) {
    throw new Error(
      `corpus has ${requests.length} request lines but its head says ${head.meta.requests}`,
    );
  }
  return { ...head, requests };
}
