import {
  CaptureFormat,
  CaptureTooLargeError,
  type Corpus,
  CorpusWriteError,
  corpusToJsonLines,
  ImportError,
  type ImportOptions,
  type ImportSummary,
  importFile,
  importFileStreaming,
  parseMaskField,
  parseRemapRule,
  type RemapRule,
  writeCorpusFile,
} from '@loadline/replay';
import { type ApiEnv, ApiProblem, ControlClient, controlApi } from '../control-client.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { checkOutFile } from '../out-file.js';

export interface ImportCommandOptions {
  format?: string;
  skipBad?: boolean;
  keepHeader?: string[];
  mask?: string[];
  remap?: string[];
  host?: string[];
  sessionCookie?: string;
  includeFailed?: boolean;
  maxGap?: string;
  out?: string;
  json?: boolean;
  /** store the corpus in control at this API as `name` (a new version) */
  api?: string;
  name?: string;
}

const CORPUS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * `loadline import FILE`: a HAR, access log or .gor capture → a replay corpus. Bad input
 * is a UsageError naming FILE:LINE (exit 2); with --json the full error list is printed too.
 * Without --api the capture is read and the corpus written as streams (a log of any size);
 * storing it in control needs it whole in memory, so --api refuses a capture over 256 MB.
 */
export async function runImport(
  file: string,
  options: ImportCommandOptions,
  stdout: NodeJS.WritableStream,
  env: ApiEnv,
  stderr: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const importOptions = toImportOptions(file, options);
  if (options.name !== undefined && !CORPUS_NAME.test(options.name)) {
    throw new UsageError(
      '--name',
      `expected letters, digits, "_", "-" and "." (no spaces), got "${options.name}"`,
    );
  }
  if ((options.api === undefined) !== (options.name === undefined)) {
    throw new UsageError(
      options.api === undefined ? '--api' : '--name',
      'give --api URL and --name NAME together to store the corpus in control',
    );
  }
  if (options.out !== undefined) await checkOutFile(options.out);
  const storeIn =
    options.api !== undefined && options.name !== undefined
      ? { api: options.api, name: options.name }
      : undefined;
  let summary: ImportSummary;
  let corpus: Corpus | undefined;
  try {
    if (storeIn) {
      ({ corpus, summary } = await importFile(
        file,
        importOptions,
        'limit of a capture stored in control (read whole): import it with --out FILE, which streams, and store a smaller one',
      ));
      if (options.out) writeCorpusFile(corpus, options.out);
    } else {
      summary = await importFileStreaming(file, importOptions, options.out);
    }
  } catch (error) {
    if (error instanceof CaptureTooLargeError) throw new UsageError(undefined, error.message);
    if (error instanceof CorpusWriteError) {
      throw new UsageError('--out', `cannot write ${error.path} (${error.code})`);
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code) throw new UsageError(undefined, `cannot read ${file} (${code})`);
    if (!(error instanceof ImportError)) throw error;
    if (options.json) {
      const errors = error.issues.map((i) => ({
        line: i.line,
        message: i.path ? `${i.path}: ${i.message}` : i.message,
      }));
      stdout.write(`${JSON.stringify({ file, ok: false, total: error.total, errors })}\n`);
    }
    const hint = options.skipBad ? '' : '; --skip-bad imports the good records';
    throw new UsageError(undefined, `${error.message}${hint}`);
  }
  const stored =
    storeIn && corpus
      ? await storeCorpus(corpus, ControlClient.for(storeIn.api, env), storeIn.name, stderr)
      : undefined;
  stdout.write(
    options.json
      ? `${JSON.stringify({ ...jsonSummary(summary), ...(stored ? { stored } : {}) })}\n`
      : `${renderSummary(summary, options.out)}${stored ? `stored ${stored.name}@${stored.version}\n` : ''}`,
  );
  return ExitCode.passed;
}

/**
 * `--api URL --name NAME`: stores the corpus in control as a new version of NAME. A refusal
 * (422, with the paths of the problems) or an unreachable control is bad input (exit 2).
 */
async function storeCorpus(
  corpus: Corpus,
  client: ControlClient,
  name: string,
  stderr: NodeJS.WritableStream,
): Promise<{ name: string; version: number }> {
  try {
    // As JSON Lines, sent as they are made: control reads them line by line.
    const stored = await client.call(controlApi.uploadCorpus, {
      params: { name },
      lines: corpusToJsonLines(corpus),
    });
    return { name: stored.name, version: stored.version };
  } catch (error) {
    if (!(error instanceof ApiProblem)) throw error;
    const errors = (error.problem.errors ?? []) as Array<{ field?: string; message: string }>;
    for (const e of errors) stderr.write(`  ${e.field ?? ''}: ${e.message}\n`);
    throw new UsageError(undefined, `control refused the corpus: ${error.message}`);
  }
}

/** Flags → importer options; every malformed flag is a UsageError naming the flag. */
export function toImportOptions(file: string, options: ImportCommandOptions): ImportOptions {
  let format: CaptureFormat | undefined;
  if (options.format !== undefined) {
    const parsed = CaptureFormat.safeParse(options.format);
    if (!parsed.success) {
      throw new UsageError('--format', `expected har, access-log or gor, got "${options.format}"`);
    }
    format = parsed.data;
  }
  const remap: RemapRule[] = (options.remap ?? []).map((spec) => {
    try {
      return parseRemapRule(spec);
    } catch (error) {
      throw new UsageError('--remap', (error as Error).message);
    }
  });
  for (const spec of options.mask ?? []) {
    try {
      parseMaskField(spec);
    } catch (error) {
      throw new UsageError('--mask', (error as Error).message);
    }
  }
  let maxGapMs: number | undefined;
  if (options.maxGap !== undefined) {
    maxGapMs = Number(options.maxGap);
    if (!(maxGapMs > 0)) {
      throw new UsageError('--max-gap', `expected milliseconds > 0, got "${options.maxGap}"`);
    }
  }
  return {
    source: file,
    ...(format ? { format } : {}),
    skipBad: options.skipBad ?? false,
    keepHeaders: options.keepHeader ?? [],
    mask: options.mask ?? [],
    remap,
    includeFailed: options.includeFailed ?? false,
    ...(options.host ? { hosts: options.host } : {}),
    ...(options.sessionCookie ? { sessionCookie: options.sessionCookie } : {}),
    ...(maxGapMs ? { maxGapMs } : {}),
  };
}

/** The --json shape: `{ format, requests, sessions, durationMs, skipped, errors, mix }`. */
export function jsonSummary(summary: ImportSummary) {
  const { format, requests, sessions, durationMs, skipped, excluded, remapped, errors, mix } =
    summary;
  return { format, requests, sessions, durationMs, skipped, excluded, remapped, errors, mix };
}

export function renderSummary(summary: ImportSummary, out?: string): string {
  const lines = [
    `${summary.source}: ${summary.format}, ${summary.requests} request(s) in ${summary.sessions} session(s) over ${formatDuration(summary.durationMs)}${out ? ` → ${out}` : ''}`,
  ];
  if (summary.skipped > 0) {
    lines.push(`skipped ${summary.skipped} bad record(s):`);
    for (const e of summary.errors) lines.push(`  line ${e.line}: ${e.message}`);
  }
  for (const [reason, count] of Object.entries(summary.excluded)) {
    lines.push(`not replayed: ${count} × ${reason}`);
  }
  for (const [rule, count] of Object.entries(summary.remapped)) {
    lines.push(`remapped: ${count} value(s) by ${rule}`);
  }
  lines.push('mix:');
  for (const e of summary.mix.slice(0, 10)) {
    lines.push(
      `  ${(e.share * 100).toFixed(1).padStart(5)}%  ${String(e.count).padStart(7)}  ${e.method} ${e.template}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0
    ? `${h}h${String(m).padStart(2, '0')}m`
    : m > 0
      ? `${m}m${String(s % 60).padStart(2, '0')}s`
      : `${s}s`;
}
