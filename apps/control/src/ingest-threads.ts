import { Worker } from 'node:worker_threads';
import { type DecodedEntries, decodeEntries, type SignedText } from './ingest-decode.js';

/** Decodes a batch of signed results (`decodeEntries`), here or on another thread. */
export interface ResultsDecoder {
  decode(entries: readonly SignedText[]): Promise<DecodedEntries>;
  close(): Promise<void>;
}

/** On control's main thread (LOADLINE_INGEST_THREADS=0). */
export const decodeHere: ResultsDecoder = {
  decode: async (entries) => decodeEntries(entries),
  close: async () => {},
};

export interface ThreadRequest {
  id: number;
  entries: readonly SignedText[];
}

export type ThreadReply = { id: number; decoded: DecodedEntries } | { id: number; error: string };

interface Thread {
  worker: Worker;
  waiting: Map<number, { resolve(d: DecodedEntries): void; reject(e: Error): void }>;
}

/**
 * Ingest's threads: batches decoded (parsed, validated, histograms merged) on `count`
 * worker threads, so that control's main thread only stores them and adds them to its live
 * runs. A batch goes to the thread with the fewest waiting; several results streams
 * (LOADLINE_RESULT_STREAMS) keep several batches under way. A thread that dies fails its
 * batches (ingest reads them again: they were never acked) and another takes its place a
 * second later; while none is running, batches decode on the main thread.
 */
export class IngestThreads implements ResultsDecoder {
  readonly #threads = new Set<Thread>();
  readonly #log: (line: string) => void;
  readonly #restarts = new Set<NodeJS.Timeout>();
  readonly #spawn: () => Worker;
  #nextId = 0;
  #closing = false;

  constructor(
    count: number,
    log: (line: string) => void,
    /** a new thread running ingest-thread (a test hands one that dies) */
    spawn: () => Worker = startWorker,
  ) {
    this.#log = log;
    this.#spawn = spawn;
    for (let i = 0; i < count; i++) this.#start();
  }

  /** Threads running now. */
  get size(): number {
    return this.#threads.size;
  }

  decode(entries: readonly SignedText[]): Promise<DecodedEntries> {
    if (this.#closing) return Promise.reject(new Error('ingest threads are closed'));
    let thread: Thread | undefined;
    for (const t of this.#threads) if (!thread || t.waiting.size < thread.waiting.size) thread = t;
    if (!thread) return decodeHere.decode(entries);
    const id = this.#nextId++;
    const { worker, waiting } = thread;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      worker.postMessage({ id, entries } satisfies ThreadRequest);
    });
  }

  async close(): Promise<void> {
    this.#closing = true;
    for (const timer of this.#restarts) clearTimeout(timer);
    await Promise.all([...this.#threads].map((thread) => thread.worker.terminate()));
  }

  #start(): void {
    const thread: Thread = { worker: this.#spawn(), waiting: new Map() };
    this.#threads.add(thread);
    thread.worker.on('message', (reply: ThreadReply) => {
      const waiting = thread.waiting.get(reply.id);
      thread.waiting.delete(reply.id);
      if ('error' in reply) waiting?.reject(new Error(`ingest thread: ${reply.error}`));
      else waiting?.resolve(reply.decoded);
    });
    thread.worker.on('error', (error) => this.#log(`ingest thread: ${error.stack ?? error}`));
    thread.worker.on('exit', (code) => {
      this.#threads.delete(thread);
      for (const { reject } of thread.waiting.values()) {
        reject(new Error(`ingest thread exited (code ${code})`));
      }
      thread.waiting.clear();
      if (this.#closing) return;
      this.#log(`ingest thread exited (code ${code}); another starts in 1 s`);
      const restart = setTimeout(() => {
        this.#restarts.delete(restart);
        if (!this.#closing) this.#start();
      }, 1000);
      this.#restarts.add(restart);
    });
  }
}

/**
 * A thread running ingest-thread. Run from the TypeScript sources (tests, under tsx), the
 * thread registers tsx first: a worker does not inherit the main thread's loader hooks.
 */
export function startWorker(): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(`./ingest-thread.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSource) return new Worker(entry);
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(
    `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`,
    { eval: true },
  );
}
