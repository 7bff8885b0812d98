import net from 'node:net';
import tls from 'node:tls';
import type { Endpoint } from './request.js';
import {
  type CapturedResponse,
  ResponseParseError,
  ResponseParser,
  type ResponseSink,
} from './response-parser.js';

/** What the sender attached to a request; `capture` asks for the response head and body. */
export interface SendContext {
  capture: boolean;
}

/** What a connection reports to the engine that owns it. */
export interface ConnectionHost {
  /** A response completed; `startedAt` is what was passed to send() (performance.now ms). */
  onResponse(
    connection: Connection,
    statusCode: number,
    startedAt: number,
    context: SendContext | undefined,
    captured: CapturedResponse | undefined,
  ): void;
  /**
   * Requests that will never complete on this connection (error, close, timeout), with
   * the contexts they were sent with (undefined entries for plain sends).
   */
  onFailed(
    connection: Connection,
    count: number,
    errorCode: string,
    contexts: ReadonlyArray<SendContext | undefined>,
  ): void;
  /** The TCP (and TLS) handshake completed. onFree follows. */
  onConnected(connection: Connection): void;
  /** The connection has room for another request (also when it has just connected). */
  onFree(connection: Connection): void;
  /** The connection is gone (after onFailed for whatever was in flight). */
  onClosed(connection: Connection): void;
}

export interface ConnectionOptions {
  endpoint: Endpoint;
  request: Buffer;
  pipelining: number;
  bodiless: boolean;
  insecure: boolean;
  /** Shared read buffer (plain TCP only): reads land here, no allocation per read. */
  readBuffer: Buffer;
  /** captured bodies are cut beyond this (default MAX_CAPTURE_BYTES) */
  captureLimit?: number;
}

/**
 * One keep-alive HTTP/1.1 connection writing a pre-serialised request. Up to
 * `pipelining` requests are in flight; responses arrive in order, so the start times
 * form a FIFO. No per-request closure or object is allocated on the hot path.
 */
export class Connection implements ResponseSink {
  readonly #host: ConnectionHost;
  readonly #request: Buffer;
  readonly #socket: net.Socket;
  readonly #parser: ResponseParser;
  readonly capacity: number;
  /** FIFO of start times; a plain array is fastest for the tiny depths pipelining uses. */
  readonly #startedAt: number[] = [];
  /** Parallel to #startedAt: what each request was sent with. */
  readonly #contexts: Array<SendContext | undefined> = [];
  #connected = false;
  #closed = false;
  #willClose = false;
  /** true once the handshake completed, even after close. */
  wasConnected = false;
  /** Bookkeeping owned by the engine's idle stack. */
  inIdleStack = false;
  /** TLS only: when TCP connected, before the handshake (performance.now ms; 0 until then) */
  tcpConnectedAt = 0;

  constructor(host: ConnectionHost, options: ConnectionOptions) {
    this.#host = host;
    this.#request = options.request;
    this.capacity = options.pipelining;
    this.#parser = new ResponseParser(this, options.captureLimit);
    this.#parser.bodiless = options.bodiless;
    const { endpoint } = options;
    if (endpoint.protocol === 'https:') {
      this.#socket = tls.connect({
        host: endpoint.host,
        port: endpoint.port,
        servername: net.isIP(endpoint.servername) ? undefined : endpoint.servername,
        rejectUnauthorized: !options.insecure,
        ALPNProtocols: ['http/1.1'],
      });
      this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk, chunk.length));
      this.#socket.on('secureConnect', () => this.#onConnect());
      this.#socket.once('connect', () => {
        this.tcpConnectedAt = performance.now();
      });
    } else {
      this.#socket = net.connect({
        host: endpoint.host,
        port: endpoint.port,
        noDelay: true,
        onread: {
          buffer: options.readBuffer,
          callback: (bytes: number, buffer: Uint8Array) => {
            this.#onData(buffer as Buffer, bytes);
            return true;
          },
        },
      });
    }
    this.#socket.setNoDelay(true);
    if (endpoint.protocol === 'http:') this.#socket.on('connect', () => this.#onConnect());
    this.#socket.on('error', (error: NodeJS.ErrnoException) => this.#fail(errorCode(error)));
    this.#socket.on('end', () => this.#onEnd());
    this.#socket.on('close', () => this.#fail('ECONNRESET'));
  }

  get inFlight(): number {
    return this.#startedAt.length;
  }

  get connecting(): boolean {
    return !this.#connected && !this.#closed;
  }

  get free(): boolean {
    return (
      this.#connected && !this.#closed && !this.#willClose && this.#startedAt.length < this.capacity
    );
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Start time of the oldest request in flight, or undefined. */
  get oldestStartedAt(): number | undefined {
    return this.#startedAt[0];
  }

  /**
   * Writes the request; `startedAt` is the time latency is measured from. Before the
   * connection is up the write is buffered, and a failed connect fails the request.
   */
  send(startedAt: number, request: Buffer = this.#request, context?: SendContext): void {
    this.#startedAt.push(startedAt);
    this.#contexts.push(context);
    this.#socket.write(request);
  }

  captureNext(): boolean {
    return this.#contexts[0]?.capture ?? false;
  }

  /** Fails whatever is in flight with `code` and closes. */
  destroy(code: string): void {
    this.#fail(code);
  }

  onResponse(statusCode: number, keepAlive: boolean, captured?: CapturedResponse): void {
    const startedAt = this.#startedAt.shift();
    const context = this.#contexts.shift();
    if (startedAt === undefined) {
      this.#fail('EUNEXPECTED_RESPONSE');
      return;
    }
    if (!keepAlive) this.#willClose = true;
    this.#host.onResponse(this, statusCode, startedAt, context, captured);
    if (this.#willClose) {
      if (this.#startedAt.length === 0) this.#fail('ECONNRESET');
    } else if (!this.#closed) {
      this.#host.onFree(this);
    }
  }

  #onConnect(): void {
    this.#connected = true;
    this.wasConnected = true;
    this.#host.onConnected(this);
    this.#host.onFree(this);
  }

  #onData(buffer: Buffer, bytes: number): void {
    if (this.#closed) return;
    try {
      this.#parser.feed(buffer, 0, bytes);
    } catch (error) {
      if (error instanceof ResponseParseError) this.#fail('EPARSE');
      else throw error;
    }
  }

  #onEnd(): void {
    // A body delimited by connection close ends here.
    this.#parser.end();
    this.#fail('ECONNRESET');
  }

  #fail(code: string): void {
    if (this.#closed) return;
    this.#closed = true;
    const lost = this.#startedAt.length;
    const contexts = this.#contexts.splice(0);
    this.#startedAt.length = 0;
    this.#socket.destroy();
    if (lost > 0) this.#host.onFailed(this, lost, code, contexts);
    this.#host.onClosed(this);
  }
}

function errorCode(error: NodeJS.ErrnoException): string {
  return error.code ?? error.name ?? 'ERROR';
}
