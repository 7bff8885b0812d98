/**
 * Per-request CPU cost. Each service instance owns one "core": a worker thread that
 * hashes for as long as a request's cost asks, one request at a time. So an instance
 * saturates at about 1000 / costMs requests per second, as a one-core machine would, and
 * adding instances adds capacity up to the real cores of the box.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

const BLOCK = Buffer.alloc(1024, 7);

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const block = Buffer.alloc(1024, 7);
// At least the calibrated number of hashes, and at least the cost in time: a calibration
// taken while the machine was busy undercounts the hash rate, and must not make a 25 ms
// service answer in 17.
parentPort.on('message', ({ id, hashes, ms }) => {
  const start = performance.now();
  let done = 0;
  while (done < hashes || performance.now() - start < ms) {
    for (let i = 0; i < 16; i++) createHash('sha256').update(block).digest();
    done += 16;
  }
  parentPort.postMessage(id);
});
`;

let calibrated: number | undefined;

/** sha256 hashes of 1 KiB per millisecond on this machine: the best of a few short trials. */
export function hashesPerMs(): number {
  if (calibrated !== undefined) return calibrated;
  let best = 0;
  for (let trial = 0; trial < 7; trial++) {
    const start = performance.now();
    let hashes = 0;
    while (performance.now() - start < 2) {
      for (let i = 0; i < 20; i++) createHash('sha256').update(BLOCK).digest();
      hashes += 20;
    }
    best = Math.max(best, hashes / (performance.now() - start));
  }
  calibrated = best;
  return best;
}

export class CpuCore {
  #worker: Worker | undefined;
  #pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  #nextId = 0;
  #busyMs = 0;
  #closed = false;

  /** Runs about `ms` milliseconds of CPU work (measured on an idle core) on this core. */
  burn(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    if (this.#closed) return Promise.reject(new Error('the service is shutting down'));
    const worker = this.#start();
    const id = this.#nextId++;
    const hashes = Math.max(1, Math.round(ms * hashesPerMs()));
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, hashes, ms });
    });
  }

  /** CPU seconds this core has been busy. */
  busySeconds(): number {
    if (this.#worker) this.#busyMs = this.#worker.performance.eventLoopUtilization().active;
    return this.#busyMs / 1000;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    if (!worker) return;
    this.busySeconds();
    this.#worker = undefined;
    await worker.terminate();
    this.#fail(new Error('the service shut down'));
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
    worker.unref();
    worker.on('message', (id: number) => {
      this.#pending.get(id)?.resolve();
      this.#pending.delete(id);
    });
    worker.on('error', (error) => this.#fail(error));
    worker.on('exit', () => {
      if (this.#worker === worker) this.#worker = undefined;
      this.#fail(new Error('the CPU worker exited'));
    });
    this.#worker = worker;
    return worker;
  }

  #fail(error: Error): void {
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }
}
