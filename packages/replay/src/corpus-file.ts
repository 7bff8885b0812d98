import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import type { Corpus, CorpusMeta, ReplayRequest, RequestMix } from './corpus.js';

/** A corpus file could not be written: the CLI names the path (`--out`) and the reason. */
export class CorpusWriteError extends Error {
  constructor(
    readonly path: string,
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(`cannot write ${path} (${code ?? 'unknown error'})`, options);
    this.name = 'CorpusWriteError';
  }
}

function writing<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw new CorpusWriteError(path, (error as NodeJS.ErrnoException).code, { cause: error });
  }
}

const FLUSH_AT = 1024 * 1024;

/** Text appended to a file descriptor in ~1 MB writes. */
class BufferedFile {
  private parts: string[] = [];
  private size = 0;

  constructor(
    readonly path: string,
    readonly fd: number,
  ) {}

  write(text: string): void {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= FLUSH_AT) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    writing(this.path, () => writeSync(this.fd, text));
  }
}

/**
 * `.jsonl`: a head line `{ meta, mix }`, then a request per line; anything else: the one
 * JSON document `{ meta, mix, requests: [...] }`, the same text `JSON.stringify` would write,
 * written a request at a time.
 */
function frame(path: string, head: { meta: CorpusMeta; mix: RequestMix }) {
  const jsonLines = path.endsWith('.jsonl');
  const json = JSON.stringify(head);
  return jsonLines
    ? { jsonLines, prefix: `${json}\n`, suffix: '' }
    : { jsonLines, prefix: `${json.slice(0, -1)},"requests":[`, suffix: ']}' };
}

/** Writes a corpus held in memory to `path`, without building it as one string. */
export function writeCorpusFile(corpus: Corpus, path: string): void {
  const { jsonLines, prefix, suffix } = frame(path, corpus);
  const fd = writing(path, () => openSync(path, 'w'));
  try {
    const out = new BufferedFile(path, fd);
    out.write(prefix);
    corpus.requests.forEach((request, i) => {
      const json = JSON.stringify(request);
      out.write(jsonLines ? `${json}\n` : i === 0 ? json : `,${json}`);
    });
    out.write(suffix);
    out.flush();
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a corpus whose head (meta, mix) is known only after its last request: requests go
 * to `PATH.partial-PID` beside it as they come, and `finish` writes PATH as head, requests,
 * end. Only the requests' text passes through memory, a megabyte at a time.
 */
export class CorpusFileWriter {
  private readonly partial: string;
  private readonly out: BufferedFile;
  private readonly jsonLines: boolean;
  private count = 0;
  private closed = false;

  constructor(readonly path: string) {
    this.partial = `${path}.partial-${process.pid}`;
    this.jsonLines = path.endsWith('.jsonl');
    this.out = new BufferedFile(
      path,
      writing(path, () => openSync(this.partial, 'w+', 0o600)),
    );
  }

  add(request: ReplayRequest): void {
    const json = JSON.stringify(request);
    this.out.write(this.jsonLines ? `${json}\n` : this.count === 0 ? json : `,${json}`);
    this.count++;
  }

  finish(head: { meta: CorpusMeta; mix: RequestMix }): void {
    this.out.flush();
    const { prefix, suffix } = frame(this.path, head);
    const fd = writing(this.path, () => openSync(this.path, 'w'));
    try {
      writing(this.path, () => writeSync(fd, prefix));
      const buffer = Buffer.allocUnsafe(FLUSH_AT);
      for (let position = 0; ; ) {
        const read = readSync(this.out.fd, buffer, 0, buffer.length, position);
        if (read === 0) break;
        writing(this.path, () => writeSync(fd, buffer, 0, read));
        position += read;
      }
      writing(this.path, () => writeSync(fd, suffix));
    } finally {
      closeSync(fd);
      this.abort();
    }
  }

  /** Removes the partial file (after finish, or when the import failed). */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.out.fd);
    unlinkSync(this.partial);
  }
}
