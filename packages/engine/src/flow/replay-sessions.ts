import type { ReplaySend } from '@loadline/api';

/** A replay send waiting for its session's previous request to come back. */
export interface QueuedSend {
  send: ReplaySend;
  intendedAt: number;
}

/**
 * Replay sessions with a request out, and the sends waiting behind each: a session's next
 * send waits for its previous answer (late, never reordered).
 */
export class ReplaySessions {
  readonly #queues = new Map<number, QueuedSend[]>();
  #queued = 0;

  /** sends waiting behind their session's request */
  get queued(): number {
    return this.#queued;
  }

  /** Whether `session` has a request out (so a send of it must wait). */
  busy(session: number | undefined): session is number {
    return session !== undefined && this.#queues.has(session);
  }

  /** `session` now has a request out. */
  open(session: number | undefined): void {
    if (session !== undefined && !this.#queues.has(session)) this.#queues.set(session, []);
  }

  enqueue(session: number, queued: QueuedSend): void {
    this.#queues.get(session)?.push(queued);
    this.#queued++;
  }

  /** The session's request ended: its next queued send, or undefined as the session idles. */
  next(session: number): QueuedSend | undefined {
    const next = this.#queues.get(session)?.shift();
    if (!next) {
      this.#queues.delete(session);
      return undefined;
    }
    this.#queued--;
    return next;
  }
}
