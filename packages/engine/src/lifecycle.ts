import type { EventEmitter } from 'node:events';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** After stop(), how long what is in flight may still complete. */
export const ABORT_GRACE_MS = 500;
/** How often the model fails what has waited past its timeout. */
const SWEEP_EVERY_MS = 250;

export type RunPhase = 'idle' | 'waiting' | 'load' | 'drain' | 'done';

/** One finished interval as the lifecycle measured it (performance.now milliseconds). */
export interface IntervalWindow {
  index: number;
  startedAt: number;
  endedAt: number;
  /** seconds since the load phase started, at the end of the interval */
  elapsedS: number;
  eventLoopDelayP99Ms: number;
  /** CPU time of this process over the interval's wall time (1 = one core busy) */
  cpu: number;
}

/** The run as the lifecycle measured it, for the model's report. */
export interface RunWindow {
  /** epoch milliseconds */
  startedAtMs: number;
  endedAtMs: number;
  /** length of the load phase (drain excluded) in milliseconds */
  loadMs: number;
  /** spread last into a report: `aborted`, and `abortReason` when there is one */
  outcome: { aborted: boolean; abortReason?: string };
}

/** What one load model adds to the shared lifecycle: its scheduling, counting and reports. */
export interface RunModel<Interval, Report> {
  /** The load phase has begun: start arrivals or users (and call loadFor / endLoadIn). */
  begin(): void;
  /** Fails what has waited longer than the timeout. */
  sweep(): void;
  /** What the drain waits for: the run ends as soon as none is left. */
  active(): number;
  /** The load phase has ended (before the drain grace starts). */
  onDrain?(): void;
  /** The run is over: what is still in flight or waiting is failed and counted. */
  settle(): void;
  /** The figures of the interval that just ended. */
  interval(window: IntervalWindow): Interval;
  report(run: RunWindow): Report;
}

export interface LifecycleOptions {
  /** named in the error when run() is called twice */
  name: string;
  /** after the load phase, how long in-flight work may still complete */
  gracefulStopMs: number;
  intervalMs: number;
}

type Events<Interval, Report> = { interval: [Interval]; done: [Report] };

/**
 * The run lifecycle every load model shares (k6's BaseExecutor): wait for the start time,
 * load phase, per-interval ticks (with the generator's event-loop delay), stop, drain with
 * a grace period, and the final report. The model owns scheduling and counting; it uses
 * `later` for its timers so that the end of the run clears them all.
 */
export class RunLifecycle<Interval, Report> {
  readonly #model: RunModel<Interval, Report>;
  readonly #events: EventEmitter<Events<Interval, Report>>;
  readonly #options: LifecycleOptions;
  readonly #loopDelay = monitorEventLoopDelay({ resolution: 1 });
  readonly #timers = new Set<NodeJS.Timeout>();
  #phase: RunPhase = 'idle';
  #aborted = false;
  #abortReason: string | undefined;
  #t0 = 0;
  #loadEndAt = 0;
  #intervalIndex = 0;
  #intervalStart = 0;
  #intervalCpu: NodeJS.CpuUsage | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  #drainTimer: NodeJS.Timeout | undefined;
  #resolve: ((report: Report) => void) | undefined;

  constructor(
    model: RunModel<Interval, Report>,
    events: EventEmitter<Events<Interval, Report>>,
    options: LifecycleOptions,
  ) {
    this.#model = model;
    this.#events = events;
    this.#options = options;
  }

  get phase(): RunPhase {
    return this.#phase;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  /** performance.now() at the start of the load phase */
  get t0(): number {
    return this.#t0;
  }

  /** performance.now() at which the load phase ends (or ended) */
  get loadEndAt(): number {
    return this.#loadEndAt;
  }

  /** Runs to completion (or stop); `startAt` (epoch ms) delays the start. */
  run(startAt?: number): Promise<Report> {
    if (this.#phase !== 'idle') throw new Error(`a ${this.#options.name} runs once`);
    return new Promise((resolve) => {
      this.#resolve = resolve;
      const delay = startAt === undefined ? 0 : startAt - Date.now();
      if (delay > 0) {
        this.#phase = 'waiting';
        this.later(() => this.#start(), delay);
      } else {
        this.#start();
      }
    });
  }

  /** Stops the load now; what is in flight gets a short grace, then the run ends. */
  stop(reason: string): void {
    if (this.#phase === 'done' || this.#phase === 'idle') return;
    if (!this.#aborted) {
      this.#aborted = true;
      this.#abortReason = reason;
    }
    if (this.#phase === 'waiting') {
      this.#t0 = performance.now();
      this.#intervalStart = this.#t0;
      this.#loadEndAt = this.#t0;
      this.#phase = 'drain';
      this.finishSoon(0);
    } else if (this.#phase === 'load') {
      this.beginDrain(ABORT_GRACE_MS);
    } else {
      this.finishSoon(ABORT_GRACE_MS);
    }
  }

  /** A timer the end of the run clears. */
  later(fn: () => void, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }

  /** The load phase lasts `ms` from its start (what the run report's duration counts). */
  loadFor(ms: number): void {
    this.#loadEndAt = this.#t0 + ms;
  }

  /** Ends the load phase in `ms`; what is in flight then gets the graceful-stop time. */
  endLoadIn(ms: number): void {
    this.later(() => this.beginDrain(this.#options.gracefulStopMs), ms);
  }

  beginDrain(graceMs: number): void {
    if (this.#phase !== 'load') return;
    this.#phase = 'drain';
    this.#model.onDrain?.();
    const now = performance.now();
    // Only a stop shortens the load phase; a timer firing a hair early does not.
    if (this.#aborted && now < this.#loadEndAt) this.#loadEndAt = now;
    this.finishSoon(this.#model.active() === 0 ? 0 : graceMs);
  }

  finishSoon(delayMs: number): void {
    if (this.#phase === 'done') return;
    if (this.#drainTimer) clearTimeout(this.#drainTimer);
    this.#drainTimer = setTimeout(() => this.#finish(), delayMs);
  }

  #start(): void {
    this.#phase = 'load';
    this.#t0 = performance.now();
    this.#intervalStart = this.#t0;
    this.#intervalCpu = process.cpuUsage();
    this.#loopDelay.enable();
    this.#scheduleIntervalTick();
    this.#sweepTimer = setInterval(() => this.#model.sweep(), SWEEP_EVERY_MS);
    this.#model.begin();
  }

  #scheduleIntervalTick(): void {
    const dueAt = this.#t0 + (this.#intervalIndex + 1) * this.#options.intervalMs;
    this.later(
      () => {
        this.#rotateInterval(performance.now());
        if (this.#phase !== 'done') this.#scheduleIntervalTick();
      },
      Math.max(0, dueAt - performance.now()),
    );
  }

  #rotateInterval(now: number): void {
    const cpu = process.cpuUsage(this.#intervalCpu);
    this.#intervalCpu = process.cpuUsage();
    const report = this.#model.interval({
      index: this.#intervalIndex,
      startedAt: this.#intervalStart,
      endedAt: now,
      elapsedS: (now - this.#t0) / 1000,
      eventLoopDelayP99Ms: this.#loopDelay.percentile(99) / 1e6,
      cpu: (cpu.user + cpu.system) / 1000 / Math.max(now - this.#intervalStart, 1),
    });
    this.#loopDelay.reset();
    this.#intervalIndex++;
    this.#intervalStart = now;
    this.#events.emit('interval', report);
  }

  #finish(): void {
    if (this.#phase === 'done') return;
    this.#phase = 'done';
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    clearInterval(this.#sweepTimer);
    clearTimeout(this.#drainTimer);
    this.#model.settle();
    this.#rotateInterval(performance.now());
    this.#loopDelay.disable();
    const report = this.#model.report({
      startedAtMs: performance.timeOrigin + this.#t0,
      endedAtMs: performance.timeOrigin + performance.now(),
      loadMs: this.#loadEndAt - this.#t0,
      outcome: {
        aborted: this.#aborted,
        ...(this.#abortReason === undefined ? {} : { abortReason: this.#abortReason }),
      },
    });
    this.#events.emit('done', report);
    this.#resolve?.(report);
  }
}
