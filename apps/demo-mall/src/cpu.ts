/**
 * Per-request CPU cost. Each service instance owns one "core": a worker thread that works
 * for as much CPU time as a request's cost asks, one request at a time. So an instance
 * saturates at about 1000 / costMs requests per second, as a one-core machine would, and
 * adding instances adds capacity up to the real cores of the box.
 *
 * The work is integer arithmetic that allocates nothing: hashing (createHash per block) made
 * garbage whose collection doubled the thread's CPU beyond the cost asked, and a capacity
 * measured against the configured cost then came out at half of it.
 */
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
// One unit of work: 4096 rounds of an integer mix, kept in a global so it is not optimised away.
let sink = 1;
function unit() {
  let x = sink;
  for (let i = 0; i < 4096; i++) x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + i) | 0;
  sink = x;
}
// This thread's own CPU time in ms (Linux), null elsewhere: what it used, not the wall time
// it was busy (where cores are shared a busy thread also waits for the CPU).
function threadCpuMs() {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return null;
  }
}
// Units per ms of this thread's CPU: first from a calibration on its own CPU clock (after a
// JIT warm-up), then from each 100 ms of CPU its requests used. The clock ticks in steps of a
// few ms, too coarse to time one request by, fine over many; measured on CPU time the rate
// holds on a busy machine as on an idle one, so a request costs its CPU whatever its
// neighbours do. The thread's CPU between windows includes taking and answering messages,
// so a request's cost is all the CPU it makes its thread use, not the work loop alone.
// Without a CPU clock a request works for its cost in time.
const baseMs = threadCpuMs();
let perCpuMs = null;
const window = { from: 0, units: 0 };
if (baseMs !== null) {
  for (let i = 0; i < 2000; i++) unit();
  const t0 = threadCpuMs();
  let n = 0;
  while (threadCpuMs() - t0 < 50) {
    for (let k = 0; k < 64; k++) unit();
    n += 64;
  }
  window.from = threadCpuMs();
  perCpuMs = n / (window.from - t0);
}
parentPort.on('message', ({ id, ms }) => {
  const start = performance.now();
  const target = perCpuMs === null ? 0 : Math.round(ms * perCpuMs);
  let done = 0;
  while (perCpuMs === null ? performance.now() - start < ms : done < target) {
    unit();
    done++;
  }
  if (perCpuMs === null) {
    parentPort.postMessage({ id, cpuMs: null });
    return;
  }
  window.units += done;
  const now = threadCpuMs();
  if (now - window.from >= 100) {
    perCpuMs = window.units / (now - window.from);
    window.from = now;
    window.units = 0;
  }
  parentPort.postMessage({ id, cpuMs: now - baseMs });
});
`;

export class CpuCore {
  #worker: Worker | undefined;
  #pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  #nextId = 0;
  #busyMs = 0;
  /** the worker thread's CPU time, when it can read it (Linux) */
  #threadCpuMs: number | undefined;
  #closed = false;

  /** Runs `ms` milliseconds of CPU work on this core. */
  burn(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    if (this.#closed) return Promise.reject(new Error('the service is shutting down'));
    const worker = this.#start();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, ms });
    });
  }

  /**
   * CPU seconds this core has used: its worker thread's own CPU time where the OS tells it
   * (Linux), else its busy wall time (event-loop utilisation). Busy wall time overstates it
   * where cores are shared (the mall pinned to one CPU beside the gateway): a busy thread
   * also waits for the CPU, and a real process's CPU counter does not count that wait.
   */
  busySeconds(): number {
    if (this.#threadCpuMs !== undefined) return this.#threadCpuMs / 1000;
    if (this.#worker) this.#busyMs = this.#worker.performance.eventLoopUtilization().active;
    return this.#busyMs / 1000;
  }

  /** Starts the worker (and its calibration) now rather than on the first request. */
  warm(): void {
    if (!this.#closed) this.#start();
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
    worker.on('message', ({ id, cpuMs }: { id: number; cpuMs: number | null }) => {
      if (cpuMs !== null) this.#threadCpuMs = cpuMs;
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
