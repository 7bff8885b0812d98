/**
 * One VU's connections, as each k6 VU keeps its own: up to `batchPerHost` keep-alive
 * connections per origin (http.batch runs requests side by side) on the engine's raw
 * HTTP/1.1 sockets, connecting to the address `hosts` maps a name to (checked against the
 * allowlist) while TLS verifies the original name. A request is written the moment it is
 * made; latency runs from then.
 */
import { performance } from 'node:perf_hooks';
import {
  type CapturedResponse,
  Connection,
  type ConnectionHost,
  type Endpoint,
  type SendContext,
} from '@loadline/engine';

/** A request to a host the environment does not allow: the run stops (nothing is sent). */
export class NotAllowedError extends Error {
  constructor(readonly host: string) {
    super(
      `target ${host} is not allowed by the environment: map it with --host NAME=ADDRESS to an allowed address, or add it to the environment's allowlist`,
    );
    this.name = 'NotAllowedError';
  }
}

/** A new connection's handshake: opened, TCP connected, and (https) TLS done times. */
export interface ConnectTiming {
  startedAt: number;
  connectedAt: number;
  /** https: when the TLS handshake finished (0 for plain http) */
  secureAt: number;
}

/** The part of a run that http needs: mapped hosts, the allowlist, TLS and defaults. */
export interface HttpSettings {
  /** hostname (or hostname:port) → address or address:port */
  hosts: Record<string, string>;
  allowed: (host: string) => boolean;
  insecureSkipTLSVerify: boolean;
  userAgent: string;
  maxRedirects: number;
  discardResponseBodies: boolean;
  noConnectionReuse: boolean;
  batchPerHost: number;
  /** `batch`: requests of one http.batch in flight at once */
  batch: number;
  /** `throw`: a failed request throws instead of returning status 0 */
  throwErrors: boolean;
}

/** Where a URL's connections go: the mapped address, checked against the allowlist. */
export function connectAddress(url: URL, settings: HttpSettings): { host: string; port: number } {
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const mapped =
    settings.hosts[`${hostname}:${port}`] ??
    settings.hosts[hostname] ??
    Object.entries(settings.hosts).find(
      ([pattern]) => pattern.startsWith('*.') && hostname.endsWith(pattern.slice(1)),
    )?.[1];
  let host = hostname;
  let mappedPort = port;
  if (mapped) {
    const match = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(
      mapped.includes(':') && !mapped.includes('.') && !mapped.startsWith('[')
        ? `[${mapped}]`
        : mapped,
    );
    host = match?.[1] ?? mapped;
    if (match?.[2]) mappedPort = Number(match[2]);
  }
  if (!settings.allowed(host)) throw new NotAllowedError(host);
  return { host, port: mappedPort };
}

/** How one request went: the response as captured, or the engine's error code. */
export interface Exchange {
  status: number;
  captured: CapturedResponse | undefined;
  /** when the request was written (performance.now ms) */
  sentAt: number;
  doneAt: number;
  /** set when this request opened the connection it went on */
  connect: ConnectTiming | undefined;
  /** the engine's error code when there was no response (ECONNREFUSED, ETIMEDOUT, …) */
  error: string | undefined;
  remote: { host: string; port: number };
}

interface Waiting extends SendContext {
  settle(status: number, captured: CapturedResponse | undefined, error: string | undefined): void;
}

interface Queued {
  send(connection: Connection): void;
  fail(code: string): void;
}

interface Origin {
  endpoint: Endpoint;
  bodiless: boolean;
  remote: { host: string; port: number };
  connections: Set<Connection>;
  idle: Connection[];
  /** requests waiting for a connection of this origin to be free */
  queue: Queued[];
}

/** Plain TCP reads land here one at a time (one thread); the parser copies what it keeps. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
const EMPTY = Buffer.alloc(0);
/** k6 reads whole bodies: the capture is cut only far beyond any sane response. */
const CAPTURE_LIMIT = 512 * 1024 * 1024;

export class VuConnections implements ConnectionHost {
  readonly #origins = new Map<string, Origin>();
  readonly #originOf = new Map<Connection, Origin>();
  readonly #opened = new Map<Connection, ConnectTiming>();

  constructor(private readonly settings: HttpSettings) {}

  /** Writes `request` to a connection of the URL's origin and resolves with its response. */
  exchange(url: URL, request: Buffer, bodiless: boolean, timeoutMs: number): Promise<Exchange> {
    const origin = this.#originFor(url, bodiless);
    return new Promise((resolve) => {
      let sentAt = 0;
      let connect: ConnectTiming | undefined;
      let timer: NodeJS.Timeout | undefined;
      const context: Waiting = {
        capture: true,
        settle: (status, captured, error) => {
          clearTimeout(timer);
          const doneAt = performance.now();
          resolve({ status, captured, sentAt, doneAt, connect, error, remote: origin.remote });
        },
      };
      const send = (connection: Connection) => {
        sentAt = performance.now();
        connection.send(sentAt, request, context);
        timer = setTimeout(() => connection.destroy('ETIMEDOUT'), timeoutMs);
      };
      const idle = this.#takeIdle(origin);
      if (idle) send(idle);
      else if (origin.connections.size < Math.max(1, this.settings.batchPerHost)) {
        const connection = this.#open(origin);
        connect = this.#opened.get(connection);
        send(connection);
      } else origin.queue.push({ send, fail: (code) => context.settle(0, undefined, code) });
    });
  }

  #originFor(url: URL, bodiless: boolean): Origin {
    const key = `${bodiless ? 'HEAD ' : ''}${url.protocol}//${url.host}`;
    let origin = this.#origins.get(key);
    if (origin) return origin;
    const remote = connectAddress(url, this.settings);
    origin = {
      endpoint: {
        protocol: url.protocol === 'https:' ? 'https:' : 'http:',
        host: remote.host,
        port: remote.port,
        servername: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      },
      bodiless,
      remote,
      connections: new Set(),
      idle: [],
      queue: [],
    };
    this.#origins.set(key, origin);
    return origin;
  }

  #open(origin: Origin): Connection {
    const startedAt = performance.now();
    const connection = new Connection(this, {
      endpoint: origin.endpoint,
      request: EMPTY,
      pipelining: 1,
      bodiless: origin.bodiless,
      insecure: this.settings.insecureSkipTLSVerify,
      readBuffer: READ_BUFFER,
      captureLimit: CAPTURE_LIMIT,
    });
    origin.connections.add(connection);
    this.#originOf.set(connection, origin);
    this.#opened.set(connection, { startedAt, connectedAt: 0, secureAt: 0 });
    return connection;
  }

  #takeIdle(origin: Origin): Connection | undefined {
    while (origin.idle.length > 0) {
      const connection = origin.idle.pop() as Connection;
      if (connection.free) return connection;
    }
    return undefined;
  }

  onConnected(connection: Connection): void {
    const timing = this.#opened.get(connection);
    if (!timing) return;
    const now = performance.now();
    if (connection.tcpConnectedAt > 0) {
      timing.connectedAt = connection.tcpConnectedAt;
      timing.secureAt = now;
    } else timing.connectedAt = now;
  }

  onFree(connection: Connection): void {
    const origin = this.#originOf.get(connection);
    if (!origin || connection.inFlight > 0) return;
    const next = origin.queue.shift();
    if (next) next.send(connection);
    else origin.idle.push(connection);
  }

  onResponse(
    _connection: Connection,
    statusCode: number,
    _startedAt: number,
    context: SendContext | undefined,
    captured: CapturedResponse | undefined,
  ): void {
    (context as Waiting | undefined)?.settle(statusCode, captured, undefined);
  }

  onFailed(
    _connection: Connection,
    _count: number,
    errorCode: string,
    contexts: ReadonlyArray<SendContext | undefined>,
  ): void {
    for (const context of contexts)
      (context as Waiting | undefined)?.settle(0, undefined, errorCode);
  }

  onClosed(connection: Connection): void {
    const origin = this.#originOf.get(connection);
    this.#originOf.delete(connection);
    this.#opened.delete(connection);
    if (!origin) return;
    origin.connections.delete(connection);
    // A request waiting for this origin gets a new connection in place of the closed one.
    const next = origin.queue.shift();
    if (next) next.send(this.#open(origin));
  }

  /** Fails what is in flight (the iteration is being interrupted); connections close. */
  interrupt(): void {
    for (const origin of this.#origins.values()) {
      for (const queued of origin.queue.splice(0)) queued.fail('EINTERRUPTED');
      for (const connection of [...origin.connections]) {
        if (connection.inFlight > 0) connection.destroy('EINTERRUPTED');
      }
    }
  }

  /** Closes every connection (noVUConnectionReuse, the end of the run). */
  async close(): Promise<void> {
    for (const origin of this.#origins.values()) {
      for (const queued of origin.queue.splice(0)) queued.fail('ECLOSED');
      for (const connection of [...origin.connections]) connection.destroy('ECLOSED');
    }
    this.#origins.clear();
  }
}
