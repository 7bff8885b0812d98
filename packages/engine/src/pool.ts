import { Connection, type ConnectionHost, type ConnectionOptions } from './connection.js';

const READ_BUFFER_BYTES = 64 * 1024;
/**
 * At most this many connection handshakes at once. New connections are opened only for
 * sends that found every connection busy, so a burst grows the pool steadily instead of
 * stampeding the target (and the generator) with connects.
 */
const MAX_CONNECTING = 32;

/**
 * An engine's connections: every open one, the stack of those with room for a request,
 * the handshakes under way and the peak count. Plain TCP reads share one buffer.
 */
export class ConnectionPool {
  readonly #host: ConnectionHost;
  readonly #options: ConnectionOptions;
  readonly #connections = new Set<Connection>();
  readonly #idle: Connection[] = [];
  /** handshakes under way (counted by engines that grow the pool on demand) */
  connecting = 0;
  peak = 0;

  constructor(host: ConnectionHost, options: Omit<ConnectionOptions, 'readBuffer'>) {
    this.#host = host;
    this.#options = { ...options, readBuffer: Buffer.allocUnsafe(READ_BUFFER_BYTES) };
  }

  get size(): number {
    return this.#connections.size;
  }

  open(): Connection {
    const connection = new Connection(this.#host, this.#options);
    this.#connections.add(connection);
    if (this.#connections.size > this.peak) this.peak = this.#connections.size;
    return connection;
  }

  /** Room for another handshake, below `max` connections. */
  canGrow(max: number): boolean {
    return this.connecting < MAX_CONNECTING && this.#connections.size < max;
  }

  /** A connection with room for a request, or undefined when all are busy. */
  popIdle(): Connection | undefined {
    while (this.#idle.length > 0) {
      const candidate = this.#idle.pop() as Connection;
      candidate.inIdleStack = false;
      if (candidate.free) return candidate;
    }
    return undefined;
  }

  pushIdle(connection: Connection): void {
    if (!connection.inIdleStack) {
      connection.inIdleStack = true;
      this.#idle.push(connection);
    }
  }

  delete(connection: Connection): void {
    this.#connections.delete(connection);
  }

  /** Fails (ETIMEDOUT) each connection whose oldest request started before `deadline`. */
  expire(deadline: number): void {
    for (const connection of this.#connections) {
      const oldest = connection.oldestStartedAt;
      if (oldest !== undefined && oldest < deadline) connection.destroy('ETIMEDOUT');
    }
  }

  destroyAll(code: string): void {
    for (const connection of [...this.#connections]) connection.destroy(code);
  }
}
