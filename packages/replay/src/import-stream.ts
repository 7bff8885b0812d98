// Imports a line- or record-oriented capture (an access log, a .gor file) of any size into a
// corpus file, in two passes over the file. The first reads it as a stream, checks every
// record and keeps of each good one only where it is and when it was sent (about 40 bytes);
// the second reads the records again in time order, one at a time, and writes each as it is
// sanitised. Memory grows with the number of requests, by those 40 bytes, never with the
// file. A HAR is one JSON document: it is read whole, up to MAX_IN_MEMORY_CAPTURE_BYTES.
import { closeSync, createReadStream, openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import type { z } from 'zod';
import { parseAccessLogLine } from './access-log.js';
import { type CapturedRequest, countExcluded } from './captured.js';
import { type CaptureFormat, replayRequestProblem } from './corpus.js';
import { CorpusFileWriter, writeCorpusFile } from './corpus-file.js';
import { ImportError, IssueLog } from './errors.js';
import { parseGorRecord } from './gor.js';
import { hash53 } from './hash.js';
import {
  compressGaps,
  corpusMeta,
  formatOf,
  ImportOptions,
  type ImportSummary,
  summarise,
  toReplayRequest,
} from './import.js';
import { importFile } from './import-file.js';
import { MixCounter } from './mix.js';
import { RecordIndex } from './record-index.js';
import { RecordReader } from './record-reader.js';
import { Remapper } from './remap.js';
import { createSanitiser } from './sanitise.js';
import { SessionKeys } from './session.js';
import { splitRecords } from './split-records.js';

/** One access-log line; a longer one is a bad record, passed over without being held. */
export const MAX_LOG_LINE_BYTES = 1024 * 1024;
/** One GoReplay record (request head and body). */
export const MAX_GOR_RECORD_BYTES = 64 * 1024 * 1024;

const SEPARATORS: Record<Exclude<CaptureFormat, 'har'>, Buffer> = {
  'access-log': Buffer.from('\n'),
  gor: Buffer.from('\n🐵🙈🙉\n', 'utf8'),
};

type Options = z.output<typeof ImportOptions>;

async function readHead(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Imports the capture at `path` and, when `out` is given, writes its corpus there (`.jsonl`
 * as JSON Lines, else one JSON document), reading and writing as streams. Throws ImportError
 * (bad records, with line numbers), CaptureTooLargeError (a HAR too big to read whole),
 * CorpusWriteError, or the read error (ENOENT…) as is.
 */
export async function importFileStreaming(
  path: string,
  options: ImportOptions = {},
  out?: string,
): Promise<ImportSummary> {
  const opts = ImportOptions.parse({ source: basename(path), ...options });
  const format = formatOf(opts, await readHead(path));
  if (format === 'har') {
    const { corpus, summary } = await importFile(
      path,
      { ...options, format },
      'limit for a HAR, one JSON document read whole: export fewer pages, or keep the entries you need (jq \'.log.entries |= map(select(.request.url | test("/api/")))\')',
    );
    if (out !== undefined) writeCorpusFile(corpus, out);
    return summary;
  }
  const { index, issues, excluded } = await indexRecords(path, format, opts);
  return writeInTimeOrder(path, format, opts, { index, issues, excluded }, out);
}

/** Session keys that are never written, only needed to parse: no digest computed. */
class UndigestedSessionKeys extends SessionKeys {
  override digest(): string {
    return '';
  }
}

/** Parses one record of `format`; undefined for a blank, bad (see issues) or excluded one. */
function parseRecord(
  format: Exclude<CaptureFormat, 'har'>,
  bytes: Buffer,
  line: number,
  issues: IssueLog,
  excluded: Record<string, number>,
  sessions: SessionKeys,
): CapturedRequest | undefined {
  if (format === 'access-log') {
    return parseAccessLogLine(bytes.toString('utf8'), line, issues, excluded, sessions);
  }
  const record = bytes.toString('latin1');
  if (record.trim() === '') return undefined;
  const requests: CapturedRequest[] = [];
  parseGorRecord(record, line, requests, excluded, issues, { sessions });
  return requests[0];
}

/** Pass one: every record checked, each good one indexed by time, line and place. */
async function indexRecords(path: string, format: Exclude<CaptureFormat, 'har'>, opts: Options) {
  const issues = new IssueLog(opts.skipBad, opts.maxErrors);
  const excluded: Record<string, number> = {};
  const notSelected: Record<string, number> = {};
  // Sessions are counted in pass two, from the keys written: no digests here.
  const sessions = new UndigestedSessionKeys(opts.sessionCookie);
  const hosts = opts.hosts ? new Set(opts.hosts.map((h) => h.toLowerCase())) : undefined;
  const maxBytes = format === 'gor' ? MAX_GOR_RECORD_BYTES : MAX_LOG_LINE_BYTES;
  const index = new RecordIndex();
  // The rules a stored request follows are checked here, on a sanitised copy (sanitising
  // drops what they forbid; remapping only changes IDs), so pass two writes only good ones.
  const sanitise = createSanitiser(opts);
  const stream = createReadStream(path, { highWaterMark: 1024 * 1024 });
  let line = 1;
  try {
    reading: for await (const pieces of splitRecords(stream, SEPARATORS[format], maxBytes)) {
      for (const piece of pieces) {
        if (issues.full) break reading;
        const at = line;
        line += format === 'gor' ? piece.newlines + 2 : 1;
        if (!piece.bytes) {
          issues.add({ line: at, message: `longer than ${maxBytes / (1024 * 1024)} MB` });
          continue;
        }
        const request = parseRecord(format, piece.bytes, at, issues, excluded, sessions);
        if (!request) continue;
        const copy = { ...request, headers: [...request.headers] };
        sanitise(copy);
        const problem = replayRequestProblem(copy);
        // A request that breaks them is not written, but still counts where a second's
        // requests are spread across it (as it does in the in-memory import).
        if (problem) issues.add({ line: request.line, message: problem.message });
        const selected =
          !hosts || (request.host !== undefined && hosts.has(request.host.toLowerCase()));
        if (!selected) countExcluded(notSelected, 'host not selected');
        const kept = selected && !problem;
        index.push({
          timeMs: request.timeMs,
          line: request.line,
          offset: piece.offset,
          length: piece.length,
          kept,
        });
      }
    }
  } finally {
    stream.destroy();
  }
  if (issues.count > 0 && !opts.skipBad) {
    throw new ImportError(opts.source, issues.issues, issues.count);
  }
  return { index, issues, excluded: { ...excluded, ...notSelected } };
}

/** Pass two: the kept records in time order, read back one by one, sanitised and written. */
function writeInTimeOrder(
  path: string,
  format: Exclude<CaptureFormat, 'har'>,
  opts: Options,
  found: { index: RecordIndex; issues: IssueLog; excluded: Record<string, number> },
  out: string | undefined,
): ImportSummary {
  const { index } = found;
  const order = index.timeOrder();
  // Logs have one-second timestamps: a second's requests are spread evenly across it.
  if (format === 'access-log' && opts.spreadWithinSecond) index.spreadWithinSeconds(order);
  const kept = order.filter((i) => index.kept[i] === 1);
  const times = compressGaps(
    Array.from(kept, (i) => index.timeMs[i] as number),
    opts.maxGapMs,
  );
  // 53-bit hashes of the session keys: counted without holding a million keys.
  const sessions = new Set<number>();

  const writer = out === undefined ? undefined : new CorpusFileWriter(out);
  const fd = openSync(path, 'r');
  try {
    const sanitise = createSanitiser(opts);
    const remapper = new Remapper(opts.remap);
    const mix = new MixCounter();
    const reparse = new SessionKeys(opts.sessionCookie);
    const records = new RecordReader(fd);
    let durationMs = 0;
    kept.forEach((i, k) => {
      const request = parseRecord(
        format,
        records.read(index.offset[i] as number, index.length[i] as number),
        index.line[i] as number,
        new IssueLog(true, 1),
        {},
        reparse,
      );
      if (!request) throw new Error(`${opts.source}:${index.line[i]} changed while importing`);
      remapper.apply(request);
      sanitise(request);
      const replay = toReplayRequest(request, (times[k] as number) - (times[0] as number));
      durationMs = replay.offsetMs;
      sessions.add(hash53(replay.sessionKey));
      mix.add(replay.method, replay.path);
      writer?.add(replay);
    });
    const head = {
      meta: corpusMeta(opts, format, {
        firstTimeMs: kept.length > 0 ? index.timeMs[kept[0] as number] : undefined,
        requests: kept.length,
        sessions: sessions.size,
        durationMs,
        issues: found.issues,
        excluded: found.excluded,
        remapped: remapper.counts,
      }),
      mix: mix.mix(opts.mixLimit),
    };
    writer?.finish(head);
    return summarise({ ...head, requests: [] });
  } catch (error) {
    writer?.abort();
    throw error;
  } finally {
    closeSync(fd);
  }
}
