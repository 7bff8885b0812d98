/** Anything that emits `error` events: BullMQ queues and workers, ioredis connections. */
export interface ErrorEmitter {
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * Logs every `error` an emitter raises, prefixed with what raised it. BullMQ emits `error`
 * for what it cannot recover from on its own (Redis gone, a lost lock); unheard, an
 * EventEmitter's error is thrown and takes the process down. A Redis outage raises the same
 * error on every reconnect attempt, so a repeat within `quietMs` is counted, and the count
 * is said with the next line.
 */
export function logErrors(
  emitter: ErrorEmitter,
  context: string,
  log: (line: string) => void,
  quietMs = 30_000,
): void {
  let last: string | undefined;
  let lastAt = 0;
  let repeated = 0;
  emitter.on('error', (error) => {
    const now = Date.now();
    const message = error?.message ?? String(error);
    if (message === last && now - lastAt < quietMs) {
      repeated++;
      return;
    }
    const again = repeated > 0 ? ` (the previous error repeated ${repeated} more times)` : '';
    log(`${context}: ${message}${again}`);
    last = message;
    lastAt = now;
    repeated = 0;
  });
}
