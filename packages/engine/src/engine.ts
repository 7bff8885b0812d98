import { EventEmitter } from 'node:events';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Connection, type ConnectionHost } from './connection.js';
import { IntervalCounters, RunTotals, statusCodesOf } from './counters.js';
import type { EngineEvents, IntervalReport, RunReport } from './events.js';
import { endpointOf, type HttpTarget, serializeRequest, validateTarget } from './request.js';
import { ArrivalSchedule, type RateProfile } from './schedule.js';
import { TimeQueue } from './time-queue.js';

/**
 * Open model: arrivals follow the rate profile whatever the target does; latency is
 * measured from each arrival's intended time. Closed model: `connections` loops sending
 * back to back; latency is measured from the actual send.
 */
export type LoadModel =
  | { kind: 'open'; profile: RateProfile; maxInFlight: number }
  | { kind: 'closed'; connections: number; durationMs: number };

export interface EngineOptions {
  target: HttpTarget;
  model: LoadModel;
  /** requests in flight per connection (HTTP/1.1 pipelining); 1 disables it */
  pipelining?: number;
  /** a request unanswered this long fails with ETIMEDOUT */
  timeoutMs?: number;
  /** after the load phase, how long in-flight requests may still complete */
  gracefulStopMs?: number;
  /** a send this much later than its intended time counts as late */
  lateThresholdMs?: number;
  intervalMs?: number;
  /** accept any TLS certificate (self-signed test targets) */
  insecure?: boolean;
}

const DEFAULTS = {
  pipelining: 1,
  timeoutMs: 30_000,
  lateThresholdMs: 10,
  intervalMs: 1000,
  abortGraceMs: 500,
};

const READ_BUFFER_BYTES = 64 * 1024;
/**
 * Open model: at most this many connection handshakes at once. New connections are
 * opened only for arrivals that found every connection busy, so a burst grows the pool
 * steadily instead of stampeding the target (and the generator) with connects.
 */
const MAX_CONNECTING = 32;

export class LoadEngine extends EventEmitter<EngineEvents> implements ConnectionHost {
  readonly #options: Required<Omit<EngineOptions, 'target' | 'model'>>;
  readonly #model: LoadModel;
  readonly #target: HttpTarget;
  readonly #request: Buffer;
  readonly #readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  readonly #connections = new Set<Connection>();
  readonly #idle: Connection[] = [];
  /** Open model: intended times of arrivals waiting for a free connection. */
  readonly #pending = new TimeQueue();
  #connecting = 0;
  #maxConnections = 0;
  readonly #totals = new RunTotals();
  readonly #loopDelay = monitorEventLoopDelay({ resolution: 1 });
  #interval = new IntervalCounters();
  #intervalIndex = 0;
  #intervalStartMs = 0;
  #schedule: ArrivalSchedule | undefined;
  #nextDue: number | undefined;
  #t0 = 0;
  #loadEndAt = 0;
  #inFlight = 0;
  #peakConnections = 0;
  #phase: 'idle' | 'load' | 'drain' | 'done' = 'idle';
  #aborted = false;
  #abortReason: string | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  #intervalTimer: NodeJS.Timeout | undefined;
  #dispatchTimer: NodeJS.Timeout | undefined;
  #loadEndTimer: NodeJS.Timeout | undefined;
  #drainTimer: NodeJS.Timeout | undefined;
  #resolve: ((report: RunReport) => void) | undefined;

  constructor(options: EngineOptions) {
    super();
    const problem = validateTarget(options.target);
    if (problem) throw new TypeError(problem);
    this.#target = options.target;
    this.#model = options.model;
    const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    this.#options = {
      pipelining: Math.max(1, Math.floor(options.pipelining ?? DEFAULTS.pipelining)),
      timeoutMs,
      gracefulStopMs: options.gracefulStopMs ?? Math.min(timeoutMs, 10_000),
      lateThresholdMs: options.lateThresholdMs ?? DEFAULTS.lateThresholdMs,
      intervalMs: options.intervalMs ?? DEFAULTS.intervalMs,
      insecure: options.insecure ?? false,
    };
    this.#request = serializeRequest(options.target);
  }

  /** Runs the load to completion (or abort) and resolves with the run report. */
  run(): Promise<RunReport> {
    if (this.#phase !== 'idle') throw new Error('a LoadEngine runs once');
    return new Promise((resolve) => {
      this.#resolve = resolve;
      this.#start();
    });
  }

  /** Stops sending now; in-flight requests get a short grace, then the run ends. */
  stop(reason = 'stopped'): void {
    if (this.#phase === 'done' || this.#phase === 'idle') return;
    if (!this.#aborted) {
      this.#aborted = true;
      this.#abortReason = reason;
    }
    if (this.#phase === 'load') this.#beginDrain(DEFAULTS.abortGraceMs);
    else this.#finishSoon(DEFAULTS.abortGraceMs);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  #start(): void {
    this.#phase = 'load';
    this.#t0 = performance.now();
    this.#intervalStartMs = this.#t0;
    this.#loopDelay.enable();
    this.#scheduleIntervalTick();
    this.#sweepTimer = setInterval(() => this.#sweepTimeouts(), 250);
    const model = this.#model;
    if (model.kind === 'open') {
      this.#schedule = new ArrivalSchedule(model.profile);
      this.#maxConnections = Math.ceil(model.maxInFlight / this.#options.pipelining);
      this.#loadEndAt = this.#t0 + this.#schedule.totalMs;
      this.#nextDue = this.#schedule.next();
      this.#dispatchDue();
    } else {
      this.#loadEndAt = this.#t0 + model.durationMs;
      this.#loadEndTimer = setTimeout(
        () => this.#beginDrain(this.#options.gracefulStopMs),
        model.durationMs,
      );
      for (let i = 0; i < model.connections; i++) this.#openClosedLoopConnection();
    }
  }

  // ---- open model -------------------------------------------------------------------

  readonly #dispatchDue = (): void => {
    if (this.#phase !== 'load' || this.#schedule === undefined) return;
    const now = performance.now();
    const elapsed = now - this.#t0;
    while (this.#nextDue !== undefined && this.#nextDue <= elapsed) {
      this.#dispatch(this.#t0 + this.#nextDue, now);
      this.#nextDue = this.#schedule.next();
    }
    if (this.#nextDue === undefined) {
      const remaining = this.#loadEndAt - performance.now();
      this.#loadEndTimer = setTimeout(
        () => this.#beginDrain(this.#options.gracefulStopMs),
        Math.max(0, remaining),
      );
      return;
    }
    const gap = this.#nextDue - elapsed;
    // Timers have millisecond granularity; closer than that, spin through the event
    // loop (I/O still runs between iterations) so sends leave on time.
    if (gap > 1) this.#dispatchTimer = setTimeout(this.#dispatchDue, Math.floor(gap));
    else setImmediate(this.#dispatchDue);
  };

  #dispatch(intendedAt: number, now: number): void {
    const model = this.#model as Extract<LoadModel, { kind: 'open' }>;
    this.#interval.scheduled++;
    if (this.#inFlight + this.#pending.length >= model.maxInFlight) {
      this.#interval.dropped++;
      return;
    }
    const connection = this.#popIdle();
    if (connection) {
      this.#sendOpen(connection, intendedAt, now);
    } else {
      // Every connection is busy: the arrival waits (its latency clock already runs).
      this.#pending.push(intendedAt);
      this.#growPool(now);
    }
  }

  #popIdle(): Connection | undefined {
    while (this.#idle.length > 0) {
      const candidate = this.#idle.pop() as Connection;
      candidate.inIdleStack = false;
      if (candidate.free) return candidate;
    }
    return undefined;
  }

  #sendOpen(connection: Connection, intendedAt: number, now: number): void {
    if (now - intendedAt > this.#options.lateThresholdMs) this.#interval.late++;
    this.#inFlight++;
    connection.send(intendedAt);
    if (connection.free) this.#pushIdle(connection);
  }

  /** Opens connections for waiting arrivals; each new one carries the oldest of them. */
  #growPool(now: number): void {
    while (
      this.#pending.length > 0 &&
      this.#connecting < MAX_CONNECTING &&
      this.#connections.size < this.#maxConnections
    ) {
      const connection = this.#openConnection();
      this.#connecting++;
      // Sent before the handshake completes (buffered), so a refused connect is
      // counted against a real arrival rather than leaving it waiting.
      this.#sendOpen(connection, this.#pending.shift() as number, now);
    }
  }

  #pushIdle(connection: Connection): void {
    if (!connection.inIdleStack) {
      connection.inIdleStack = true;
      this.#idle.push(connection);
    }
  }

  // ---- closed model -----------------------------------------------------------------

  #openClosedLoopConnection(): void {
    const connection = this.#openConnection();
    for (let i = 0; i < connection.capacity; i++) {
      this.#inFlight++;
      connection.send(performance.now());
    }
  }

  // ---- connections ------------------------------------------------------------------

  #openConnection(): Connection {
    const connection = new Connection(this, {
      endpoint: endpointOf(this.#target.url),
      request: this.#request,
      pipelining: this.#options.pipelining,
      bodiless: this.#target.method === 'HEAD',
      insecure: this.#options.insecure,
      readBuffer: this.#readBuffer,
    });
    this.#connections.add(connection);
    if (this.#connections.size > this.#peakConnections) {
      this.#peakConnections = this.#connections.size;
    }
    return connection;
  }

  onResponse(_connection: Connection, statusCode: number, startedAt: number): void {
    this.#inFlight--;
    this.#interval.recordResponse(statusCode, (performance.now() - startedAt) * 1000);
    if (this.#phase === 'drain' && this.#inFlight === 0) this.#finishSoon(0);
  }

  onFailed(_connection: Connection, count: number, errorCode: string): void {
    this.#inFlight -= count;
    this.#interval.recordTransportErrors(errorCode, count);
    if (this.#phase === 'drain' && this.#inFlight === 0) this.#finishSoon(0);
  }

  onConnected(_connection: Connection): void {
    if (this.#model.kind === 'open') this.#connecting--;
  }

  onFree(connection: Connection): void {
    if (this.#phase !== 'load') return;
    if (this.#model.kind === 'closed') {
      while (connection.free) {
        this.#inFlight++;
        connection.send(performance.now());
      }
      return;
    }
    if (this.#pending.length > 0) {
      const now = performance.now();
      while (connection.free && this.#pending.length > 0) {
        this.#sendOpen(connection, this.#pending.shift() as number, now);
      }
    }
    if (connection.free) this.#pushIdle(connection);
  }

  onClosed(connection: Connection): void {
    this.#connections.delete(connection);
    if (this.#model.kind === 'open') {
      if (!connection.wasConnected) this.#connecting--;
      if (this.#phase === 'load' && this.#pending.length > 0) this.#growPool(performance.now());
      return;
    }
    if (this.#phase === 'load') {
      // Keep the connection count: reconnect on the next turn of the loop, so a refusing
      // target yields a steady stream of counted errors instead of a busy spin.
      setImmediate(() => {
        if (this.#phase === 'load') this.#openClosedLoopConnection();
      });
    }
  }

  #sweepTimeouts(): void {
    const deadline = performance.now() - this.#options.timeoutMs;
    let expired = 0;
    while ((this.#pending.peek() ?? Number.POSITIVE_INFINITY) < deadline) {
      this.#pending.shift();
      expired++;
    }
    if (expired > 0) this.#interval.recordTransportErrors('ETIMEDOUT', expired);
    for (const connection of this.#connections) {
      const oldest = connection.oldestStartedAt;
      if (oldest !== undefined && oldest < deadline) connection.destroy('ETIMEDOUT');
    }
  }

  // ---- intervals and end of run -----------------------------------------------------

  #scheduleIntervalTick(): void {
    const dueAt = this.#t0 + (this.#intervalIndex + 1) * this.#options.intervalMs;
    this.#intervalTimer = setTimeout(
      () => {
        this.#rotateInterval(performance.now());
        if (this.#phase !== 'done') this.#scheduleIntervalTick();
      },
      Math.max(0, dueAt - performance.now()),
    );
  }

  #rotateInterval(now: number): void {
    const counters = this.#interval;
    this.#interval = new IntervalCounters();
    this.#totals.add(counters);
    const lengthS = Math.max((now - this.#intervalStartMs) / 1000, 1e-9);
    const report: IntervalReport = {
      index: this.#intervalIndex,
      startMs: performance.timeOrigin + this.#intervalStartMs,
      endMs: performance.timeOrigin + now,
      elapsedS: (now - this.#t0) / 1000,
      scheduled: counters.scheduled,
      requests: counters.requests,
      errors: counters.errors,
      late: counters.late,
      dropped: counters.dropped,
      targetRps: this.#model.kind === 'open' ? counters.scheduled / lengthS : null,
      achievedRps: counters.requests / lengthS,
      statusCodes: counters.statusCodes(),
      transportErrors: Object.fromEntries(counters.transportErrors),
      histogram: counters.histogram,
      inFlight: this.#inFlight,
      queued: this.#pending.length,
      connections: this.#connections.size,
      eventLoopDelayP99Ms: this.#loopDelay.percentile(99) / 1e6,
    };
    this.#loopDelay.reset();
    this.#intervalIndex++;
    this.#intervalStartMs = now;
    this.emit('interval', report);
  }

  #beginDrain(graceMs: number): void {
    if (this.#phase !== 'load') return;
    this.#phase = 'drain';
    // Arrivals still waiting for a connection were never sent: they are dropped.
    this.#interval.dropped += this.#pending.length;
    this.#pending.clear();
    const now = performance.now();
    // Only a stop shortens the load phase; a timer firing a hair early does not.
    if (this.#aborted && now < this.#loadEndAt) this.#loadEndAt = now;
    if (this.#inFlight === 0) this.#finishSoon(0);
    else this.#finishSoon(graceMs);
  }

  #finishSoon(delayMs: number): void {
    if (this.#phase === 'done') return;
    if (this.#drainTimer) clearTimeout(this.#drainTimer);
    this.#drainTimer = setTimeout(() => this.#finish(), delayMs);
  }

  #finish(): void {
    if (this.#phase === 'done') return;
    this.#phase = 'done';
    clearInterval(this.#sweepTimer);
    clearTimeout(this.#intervalTimer);
    clearTimeout(this.#dispatchTimer);
    clearTimeout(this.#loadEndTimer);
    clearTimeout(this.#drainTimer);
    // Whatever is still in flight after the grace period never got an answer: count it.
    for (const connection of [...this.#connections]) connection.destroy('EUNFINISHED');
    this.#rotateInterval(performance.now());
    this.#loopDelay.disable();
    const totals = this.#totals;
    const durationS = Math.max((this.#loadEndAt - this.#t0) / 1000, 1e-9);
    const report: RunReport = {
      model: this.#model.kind,
      startedAtMs: performance.timeOrigin + this.#t0,
      endedAtMs: performance.timeOrigin + performance.now(),
      durationS,
      scheduled: totals.scheduled,
      requests: totals.requests,
      errors: totals.errors,
      late: totals.late,
      dropped: totals.dropped,
      targetRps: this.#model.kind === 'open' ? totals.scheduled / durationS : null,
      achievedRps: totals.requests / durationS,
      statusCodes: statusCodesOf(totals.statusCounts),
      transportErrors: Object.fromEntries(totals.transportErrors),
      histogram: totals.histogram,
      peakConnections: this.#peakConnections,
      aborted: this.#aborted,
      ...(this.#abortReason === undefined ? {} : { abortReason: this.#abortReason }),
    };
    this.emit('done', report);
    this.#resolve?.(report);
  }
}
