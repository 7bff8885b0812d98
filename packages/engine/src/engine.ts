import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { dispatchArrivals } from './arrivals.js';
import type { Connection, ConnectionHost } from './connection.js';
import { figuresOf, IntervalCounters, RunTotals } from './counters.js';
import type { EngineEvents, IntervalReport, RunReport } from './events.js';
import { type IntervalWindow, RunLifecycle, type RunWindow } from './lifecycle.js';
import { ConnectionPool } from './pool.js';
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
};

/**
 * One pre-serialised request over a pool of raw connections, in the open or the closed
 * model. The run lifecycle (intervals, stop, drain, report) is RunLifecycle's.
 */
export class LoadEngine extends EventEmitter<EngineEvents> implements ConnectionHost {
  readonly #options: Required<Omit<EngineOptions, 'target' | 'model'>>;
  readonly #model: LoadModel;
  readonly #life: RunLifecycle<IntervalReport, RunReport>;
  readonly #pool: ConnectionPool;
  /** Open model: intended times of arrivals waiting for a free connection. */
  readonly #pending = new TimeQueue();
  #maxConnections = 0;
  readonly #totals = new RunTotals();
  #interval = new IntervalCounters();
  #inFlight = 0;

  constructor(options: EngineOptions) {
    super();
    const problem = validateTarget(options.target);
    if (problem) throw new TypeError(problem);
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
    this.#pool = new ConnectionPool(this, {
      endpoint: endpointOf(options.target.url),
      request: serializeRequest(options.target),
      pipelining: this.#options.pipelining,
      bodiless: options.target.method === 'HEAD',
      insecure: this.#options.insecure,
    });
    this.#life = new RunLifecycle(
      {
        begin: () => this.#begin(),
        sweep: () => this.#sweepTimeouts(),
        active: () => this.#inFlight,
        onDrain: () => {
          // Arrivals still waiting for a connection were never sent: they are dropped.
          this.#interval.dropped += this.#pending.length;
          this.#pending.clear();
        },
        // Whatever is still in flight after the grace period never got an answer: count it.
        settle: () => this.#pool.destroyAll('EUNFINISHED'),
        interval: (window) => this.#intervalReport(window),
        report: (run) => this.#runReport(run),
      },
      this,
      { name: 'LoadEngine', ...this.#options },
    );
  }

  /** Runs the load to completion (or abort) and resolves with the run report. */
  run(): Promise<RunReport> {
    return this.#life.run();
  }

  /** Stops sending now; in-flight requests get a short grace, then the run ends. */
  stop(reason = 'stopped'): void {
    this.#life.stop(reason);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  #begin(): void {
    const model = this.#model;
    if (model.kind === 'open') {
      this.#maxConnections = Math.ceil(model.maxInFlight / this.#options.pipelining);
      dispatchArrivals(this.#life, new ArrivalSchedule(model.profile), (intendedAt, now) =>
        this.#dispatch(intendedAt, now),
      );
    } else {
      this.#life.loadFor(model.durationMs);
      this.#life.endLoadIn(model.durationMs);
      for (let i = 0; i < model.connections; i++) this.#openClosedLoopConnection();
    }
  }

  // ---- open model -------------------------------------------------------------------

  #dispatch(intendedAt: number, now: number): void {
    const model = this.#model as Extract<LoadModel, { kind: 'open' }>;
    this.#interval.scheduled++;
    if (this.#inFlight + this.#pending.length >= model.maxInFlight) {
      this.#interval.dropped++;
      return;
    }
    const connection = this.#pool.popIdle();
    if (connection) {
      this.#sendOpen(connection, intendedAt, now);
    } else {
      // Every connection is busy: the arrival waits (its latency clock already runs).
      this.#pending.push(intendedAt);
      this.#growPool(now);
    }
  }

  #sendOpen(connection: Connection, intendedAt: number, now: number): void {
    if (now - intendedAt > this.#options.lateThresholdMs) this.#interval.late++;
    this.#inFlight++;
    connection.send(intendedAt);
    if (connection.free) this.#pool.pushIdle(connection);
  }

  /** Opens connections for waiting arrivals; each new one carries the oldest of them. */
  #growPool(now: number): void {
    while (this.#pending.length > 0 && this.#pool.canGrow(this.#maxConnections)) {
      const connection = this.#pool.open();
      this.#pool.connecting++;
      // Sent before the handshake completes (buffered), so a refused connect is
      // counted against a real arrival rather than leaving it waiting.
      this.#sendOpen(connection, this.#pending.shift() as number, now);
    }
  }

  // ---- closed model -----------------------------------------------------------------

  #openClosedLoopConnection(): void {
    const connection = this.#pool.open();
    for (let i = 0; i < connection.capacity; i++) {
      this.#inFlight++;
      connection.send(performance.now());
    }
  }

  // ---- connections ------------------------------------------------------------------

  onResponse(_connection: Connection, statusCode: number, startedAt: number): void {
    this.#inFlight--;
    this.#interval.recordResponse(statusCode, (performance.now() - startedAt) * 1000);
    if (this.#life.phase === 'drain' && this.#inFlight === 0) this.#life.finishSoon(0);
  }

  onFailed(_connection: Connection, count: number, errorCode: string): void {
    this.#inFlight -= count;
    this.#interval.recordTransportErrors(errorCode, count);
    if (this.#life.phase === 'drain' && this.#inFlight === 0) this.#life.finishSoon(0);
  }

  onConnected(_connection: Connection): void {
    if (this.#model.kind === 'open') this.#pool.connecting--;
  }

  onFree(connection: Connection): void {
    if (this.#life.phase !== 'load') return;
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
    if (connection.free) this.#pool.pushIdle(connection);
  }

  onClosed(connection: Connection): void {
    this.#pool.delete(connection);
    const loading = this.#life.phase === 'load';
    if (this.#model.kind === 'open') {
      if (!connection.wasConnected) this.#pool.connecting--;
      if (loading && this.#pending.length > 0) this.#growPool(performance.now());
      return;
    }
    if (loading) {
      // Keep the connection count: reconnect on the next turn of the loop, so a refusing
      // target yields a steady stream of counted errors instead of a busy spin.
      setImmediate(() => {
        if (this.#life.phase === 'load') this.#openClosedLoopConnection();
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
    this.#pool.expire(deadline);
  }

  // ---- reports ----------------------------------------------------------------------

  #intervalReport(window: IntervalWindow): IntervalReport {
    const counters = this.#interval;
    this.#interval = new IntervalCounters();
    this.#totals.add(counters);
    const lengthS = Math.max((window.endedAt - window.startedAt) / 1000, 1e-9);
    return {
      index: window.index,
      startMs: performance.timeOrigin + window.startedAt,
      endMs: performance.timeOrigin + window.endedAt,
      elapsedS: window.elapsedS,
      ...figuresOf(counters, lengthS, this.#model.kind === 'open'),
      inFlight: this.#inFlight,
      queued: this.#pending.length,
      connections: this.#pool.size,
      eventLoopDelayP99Ms: window.eventLoopDelayP99Ms,
    };
  }

  #runReport(run: RunWindow): RunReport {
    const totals = this.#totals;
    const durationS = Math.max(run.loadMs / 1000, 1e-9);
    return {
      model: this.#model.kind,
      startedAtMs: run.startedAtMs,
      endedAtMs: run.endedAtMs,
      durationS,
      ...figuresOf(totals, durationS, this.#model.kind === 'open'),
      peakConnections: this.#pool.peak,
      ...run.outcome,
    };
  }
}
