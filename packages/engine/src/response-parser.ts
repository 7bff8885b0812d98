/**
 * An incremental HTTP/1.x response parser that keeps only what a load generator needs:
 * where each response ends, its status code and whether the connection stays open.
 * Bodies are skipped, never copied. It handles Content-Length, chunked transfer coding
 * (with extensions and trailers), bodiless responses (HEAD, 1xx, 204, 304) and bodies
 * delimited by connection close, across arbitrary chunk boundaries.
 */

/** Head and body of a response, kept only when the sink asked for them. */
export interface CapturedResponse {
  /** the raw head (status line and headers, latin1) */
  head: string;
  body: Buffer;
  /** true when the body was longer than the capture limit and was cut */
  truncated: boolean;
  /** when the head had arrived (performance.now ms): the split of waiting from receiving */
  headAt: number;
}

export interface ResponseSink {
  /** A complete response. `keepAlive` false means the server will close the connection. */
  onResponse(statusCode: number, keepAlive: boolean, captured?: CapturedResponse): void;
  /**
   * Asked at each final response head: keep this response's head and body? Load-only
   * sends say no, and their bodies are skipped without a copy.
   */
  captureNext?(): boolean;
}

/** Bodies beyond this are cut when captured: extraction never needs more. */
export const MAX_CAPTURE_BYTES = 1024 * 1024;

enum State {
  Head = 0,
  Body = 1,
  ChunkSize = 2,
  ChunkData = 3,
  ChunkDataEnd = 4,
  Trailers = 5,
  UntilClose = 6,
}

const CR = 13;
const LF = 10;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const MAX_HEAD_BYTES = 64 * 1024;

const CONTENT_LENGTH = Buffer.from('content-length', 'latin1');
const TRANSFER_ENCODING = Buffer.from('transfer-encoding', 'latin1');
const CONNECTION = Buffer.from('connection', 'latin1');

function nameIs(buf: Buffer, start: number, end: number, lowerName: Buffer): boolean {
  if (end - start !== lowerName.length) return false;
  for (let i = 0; i < lowerName.length; i++) {
    // ASCII letters lower-case with | 0x20; the names we compare hold letters and '-'.
    if (((buf[start + i] as number) | 0x20) !== lowerName[i]) return false;
  }
  return true;
}

function hexValue(byte: number): number {
  if (byte >= 48 && byte <= 57) return byte - 48;
  const lower = byte | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

export class ResponseParseError extends Error {}

export class ResponseParser {
  readonly #sink: ResponseSink;
  /** true while the request in front of the queue was a HEAD: its response has no body. */
  bodiless = false;
  #state: State = State.Head;
  #pending: Buffer | null = null;
  #remaining = 0;
  #chunkSize = 0;
  #inExtension = false;
  #lineLength = 0;
  #statusCode = 0;
  #keepAlive = true;
  #capturing = false;
  #capturedHead = '';
  #capturedParts: Buffer[] = [];
  #capturedBytes = 0;
  #truncated = false;
  #headAt = 0;
  readonly #captureLimit: number;

  /** `captureLimit`: captured bodies are cut beyond it (k6 scripts read whole bodies). */
  constructor(sink: ResponseSink, captureLimit = MAX_CAPTURE_BYTES) {
    this.#sink = sink;
    this.#captureLimit = captureLimit;
  }

  /** true when the parser is between responses (nothing partial buffered). */
  get idle(): boolean {
    return this.#state === State.Head && this.#pending === null;
  }

  /** Feeds bytes [start, end) of `chunk`. The chunk may be reused after this returns. */
  feed(chunk: Buffer, start: number, end: number): void {
    let buf = chunk;
    let pos = start;
    let limit = end;
    if (this.#pending !== null) {
      buf = Buffer.concat([this.#pending, chunk.subarray(start, end)]);
      this.#pending = null;
      pos = 0;
      limit = buf.length;
    }
    while (pos < limit) {
      switch (this.#state) {
        case State.Head: {
          const headEnd = buf.indexOf(HEAD_END, pos);
          if (headEnd === -1 || headEnd + 4 > limit) {
            if (limit - pos > MAX_HEAD_BYTES) {
              throw new ResponseParseError('response head larger than 64 KiB');
            }
            // Copy: the caller's buffer is reused for the next read.
            this.#pending = Buffer.from(buf.subarray(pos, limit));
            return;
          }
          this.#parseHead(buf, pos, headEnd);
          pos = headEnd + 4;
          break;
        }
        case State.Body: {
          const take = Math.min(this.#remaining, limit - pos);
          if (this.#capturing) this.#capture(buf, pos, pos + take);
          this.#remaining -= take;
          pos += take;
          if (this.#remaining === 0) this.#complete();
          break;
        }
        case State.ChunkSize: {
          const byte = buf[pos++] as number;
          if (byte === LF) {
            if (this.#chunkSize === 0) {
              this.#state = State.Trailers;
              this.#lineLength = 0;
            } else {
              this.#remaining = this.#chunkSize;
              this.#state = State.ChunkData;
            }
          } else if (byte === CR) {
            // end of the size line; LF follows
          } else if (byte === 59 /* ; */) {
            this.#inExtension = true;
          } else if (!this.#inExtension) {
            const digit = hexValue(byte);
            if (digit < 0) throw new ResponseParseError('bad chunk size');
            this.#chunkSize = this.#chunkSize * 16 + digit;
          }
          break;
        }
        case State.ChunkData: {
          const take = Math.min(this.#remaining, limit - pos);
          if (this.#capturing) this.#capture(buf, pos, pos + take);
          this.#remaining -= take;
          pos += take;
          if (this.#remaining === 0) this.#state = State.ChunkDataEnd;
          break;
        }
        case State.ChunkDataEnd: {
          if (buf[pos++] === LF) {
            this.#state = State.ChunkSize;
            this.#chunkSize = 0;
            this.#inExtension = false;
          }
          break;
        }
        case State.Trailers: {
          const byte = buf[pos++] as number;
          if (byte === LF) {
            if (this.#lineLength === 0) this.#complete();
            else this.#lineLength = 0;
          } else if (byte !== CR) {
            this.#lineLength++;
          }
          break;
        }
        case State.UntilClose:
          if (this.#capturing) this.#capture(buf, pos, limit);
          return;
      }
    }
  }

  /** The peer closed the connection: completes a body that was delimited by close. */
  end(): boolean {
    if (this.#state === State.UntilClose) {
      this.#keepAlive = false;
      this.#complete();
      return true;
    }
    return false;
  }

  #parseHead(buf: Buffer, start: number, headEnd: number): void {
    // "HTTP/1.1 200 OK"
    if (
      headEnd - start < 12 ||
      buf[start] !== 72 /* H */ ||
      buf[start + 4] !== 47 /* / */ ||
      buf[start + 8] !== 32
    ) {
      throw new ResponseParseError('response does not start with an HTTP/1.x status line');
    }
    const d0 = (buf[start + 9] as number) - 48;
    const d1 = (buf[start + 10] as number) - 48;
    const d2 = (buf[start + 11] as number) - 48;
    if (d0 < 1 || d0 > 5 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) {
      throw new ResponseParseError('bad status code');
    }
    const status = d0 * 100 + d1 * 10 + d2;
    const http10 = buf[start + 7] === 48; /* '0' */
    let keepAlive = !http10;
    let contentLength = -1;
    let chunked = false;

    let lineStart = buf.indexOf(LF, start) + 1;
    while (lineStart > 0 && lineStart < headEnd) {
      let lineEnd = buf.indexOf(CR, lineStart);
      if (lineEnd === -1 || lineEnd > headEnd) lineEnd = headEnd;
      const colon = buf.indexOf(58 /* : */, lineStart);
      if (colon !== -1 && colon < lineEnd) {
        let valueStart = colon + 1;
        while (valueStart < lineEnd && (buf[valueStart] === 32 || buf[valueStart] === 9)) {
          valueStart++;
        }
        if (nameIs(buf, lineStart, colon, CONTENT_LENGTH)) {
          let n = 0;
          let digits = 0;
          for (let i = valueStart; i < lineEnd; i++) {
            const c = buf[i] as number;
            if (c >= 48 && c <= 57) {
              n = n * 10 + (c - 48);
              digits++;
            } else if (c !== 32 && c !== 9) {
              throw new ResponseParseError('bad Content-Length');
            }
          }
          if (digits === 0) throw new ResponseParseError('bad Content-Length');
          contentLength = n;
        } else if (nameIs(buf, lineStart, colon, TRANSFER_ENCODING)) {
          chunked = buf.toString('latin1', valueStart, lineEnd).toLowerCase().includes('chunked');
        } else if (nameIs(buf, lineStart, colon, CONNECTION)) {
          const value = buf.toString('latin1', valueStart, lineEnd).toLowerCase();
          if (value.includes('close')) keepAlive = false;
          else if (value.includes('keep-alive')) keepAlive = true;
        }
      }
      lineStart = lineEnd + 2;
    }

    if (status < 200) {
      // Interim response (100 Continue, 103 Early Hints): the final one follows.
      if (status === 101) throw new ResponseParseError('server switched protocols');
      return;
    }
    this.#statusCode = status;
    this.#keepAlive = keepAlive;
    this.#capturing = this.#sink.captureNext?.() ?? false;
    if (this.#capturing) {
      this.#capturedHead = buf.toString('latin1', start, headEnd);
      this.#headAt = performance.now();
      this.#capturedParts = [];
      this.#capturedBytes = 0;
      this.#truncated = false;
    }
    if (this.bodiless || status === 204 || status === 304) {
      this.#complete();
    } else if (chunked) {
      this.#state = State.ChunkSize;
      this.#chunkSize = 0;
      this.#inExtension = false;
    } else if (contentLength >= 0) {
      if (contentLength === 0) this.#complete();
      else {
        this.#remaining = contentLength;
        this.#state = State.Body;
      }
    } else {
      this.#state = State.UntilClose;
    }
  }

  #capture(buf: Buffer, start: number, end: number): void {
    const room = this.#captureLimit - this.#capturedBytes;
    const take = Math.min(room, end - start);
    if (take < end - start) this.#truncated = true;
    if (take <= 0) return;
    // Copy: the read buffer is reused for the next read.
    this.#capturedParts.push(Buffer.from(buf.subarray(start, start + take)));
    this.#capturedBytes += take;
  }

  #complete(): void {
    this.#state = State.Head;
    if (!this.#capturing) {
      this.#sink.onResponse(this.#statusCode, this.#keepAlive);
      return;
    }
    this.#capturing = false;
    const body =
      this.#capturedParts.length === 1
        ? (this.#capturedParts[0] as Buffer)
        : Buffer.concat(this.#capturedParts);
    this.#capturedParts = [];
    this.#sink.onResponse(this.#statusCode, this.#keepAlive, {
      head: this.#capturedHead,
      body,
      truncated: this.#truncated,
      headAt: this.#headAt,
    });
  }
}
