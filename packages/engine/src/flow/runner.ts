import { EventEmitter } from 'node:events';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { IntervalRow, ReplayModel, ReplaySend } from '@loadline/api';
import { Connection, type ConnectionHost, type SendContext } from '../connection.js';
import type { CapturedResponse } from '../response-parser.js';
import { ArrivalSchedule, type RateProfile } from '../schedule.js';
import { evaluateResponse } from './checks.js';
import type { CompiledFlow, CompiledPlan, CompiledStep } from './compile.js';
import { type IterationContext, RenderError } from './render.js';
import { ReplayArrivals, replayRequest } from './replay.js';
import { StepTable } from './step-stats.js';

export type FlowModel =
  | { kind: 'open'; profile: RateProfile; maxInFlight: number }
  | { kind: 'closed'; vus: number; durationMs: number }
  /** Replay: each planned send at its time, the plan from compileReplay (one flow per step). */
  | ReplayModel;

/** Where arrival times come from: a rate profile, or a replay's planned sends. */
interface Arrivals {
  readonly totalMs: number;
  next(): number | undefined;
}

export interface FlowRunOptions {
  plan: CompiledPlan;
  model: FlowModel;
  runId: string;
  agentId?: string;
  /** epoch ms at which to start (all shards of a run start together); default now */
  startAt?: number;
  /** headers added to every request (the shadow tag, for one) */
  extraHeaders?: ReadonlyArray<readonly [string, string]>;
  timeoutMs?: number;
  gracefulStopMs?: number;
  lateThresholdMs?: number;
  intervalMs?: number;
  insecure?: boolean;
}

export interface FlowInterval {
  index: number;
  startMs: number;
  endMs: number;
  /** epoch second the interval starts in: the row key in storage */
  second: number;
  rows: IntervalRow[];
  table: StepTable;
  activeIterations: number;
  connections: number;
  eventLoopDelayP99Ms: number;
}

export interface FlowReport {
  runId: string;
  startedAtMs: number;
  endedAtMs: number;
  /** load phase in seconds (drain excluded) */
  durationS: number;
  totals: StepTable;
  intendedMix: Record<string, number>;
  achievedMix: Record<string, number>;
  peakConnections: number;
  aborted: boolean;
  abortReason?: string;
}

export interface FlowEvents {
  interval: [FlowInterval];
  done: [FlowReport];
}

interface Iteration {
  flow: CompiledFlow;
  context: IterationContext;
  stepIndex: number;
  thinkTimer: NodeJS.Timeout | undefined;
  finished: boolean;
  /** A replay send's request, serialised at its arrival (no template to render). */
  request?: Buffer;
  /** A replay send's session: the next send of the session waits for this one. */
  session?: number;
}

interface StepSend extends SendContext {
  iteration: Iteration;
  step: CompiledStep;
  dueAt: number;
  request: Buffer;
}

const MAX_CONNECTING = 32;
const ABORT_GRACE_MS = 500;

/**
 * Runs a scenario's flows. Open model: each arrival of the rate profile starts one flow
 * iteration, chosen by weight; the first step's latency counts from the arrival's intended
 * time, each later step's from when it became due (previous response + think time).
 * Closed model: `vus` virtual users each loop over iterations back to back.
 * Replay: each planned send is an arrival at its own time, sending its captured request
 * (a one-step iteration of its step's flow); latency counts from the planned time.
 * Results are kept per (step, status class) and rotated every interval.
 */
export class FlowRunner extends EventEmitter<FlowEvents> implements ConnectionHost {
  readonly #plan: CompiledPlan;
  readonly #model: FlowModel;
  readonly #runId: string;
  readonly #agentId: string;
  readonly #extraHeaders: ReadonlyArray<readonly [string, string]>;
  readonly #timeoutMs: number;
  readonly #gracefulStopMs: number;
  readonly #lateThresholdMs: number;
  readonly #intervalMs: number;
  readonly #insecure: boolean;
  readonly #startAt: number | undefined;
  readonly #readBuffer = Buffer.allocUnsafe(64 * 1024);
  readonly #connections = new Set<Connection>();
  readonly #idle: Connection[] = [];
  readonly #pending: StepSend[] = [];
  readonly #iterations = new Set<Iteration>();
  readonly #staticRequests = new Map<CompiledStep, Buffer>();
  readonly #cumulativeWeights: number[];
  readonly #totalWeight: number;
  readonly #totals = new StepTable();
  readonly #loopDelay = monitorEventLoopDelay({ resolution: 1 });
  #interval = new StepTable();
  #intervalIndex = 0;
  #intervalStart = 0;
  #schedule: Arrivals | undefined;
  #replay: ReplayArrivals | undefined;
  /** replay sessions with a request out, and the sends waiting behind it */
  readonly #sessionQueues = new Map<number, Array<{ send: ReplaySend; intendedAt: number }>>();
  #queuedSends = 0;
  #nextDue: number | undefined;
  #t0 = 0;
  #loadEndAt = 0;
  #connecting = 0;
  #peakConnections = 0;
  #iterationCount = 0;
  #phase: 'idle' | 'waiting' | 'load' | 'drain' | 'done' = 'idle';
  #aborted = false;
  #abortReason: string | undefined;
  #timers = new Set<NodeJS.Timeout>();
  #sweepTimer: NodeJS.Timeout | undefined;
  #drainTimer: NodeJS.Timeout | undefined;
  #resolve: ((report: FlowReport) => void) | undefined;

  constructor(options: FlowRunOptions) {
    super();
    this.#plan = options.plan;
    this.#model = options.model;
    this.#runId = options.runId;
    this.#agentId = options.agentId ?? 'local';
    this.#extraHeaders = options.extraHeaders ?? [];
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#gracefulStopMs = options.gracefulStopMs ?? Math.min(this.#timeoutMs, 10_000);
    this.#lateThresholdMs = options.lateThresholdMs ?? 10;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#insecure = options.insecure ?? false;
    this.#startAt = options.startAt;
    let sum = 0;
    this.#cumulativeWeights = this.#plan.flows.map((flow) => {
      sum += flow.weight;
      return sum;
    });
    this.#totalWeight = sum;
  }

  run(): Promise<FlowReport> {
    if (this.#phase !== 'idle') throw new Error('a FlowRunner runs once');
    return new Promise((resolve) => {
      this.#resolve = resolve;
      const delay = this.#startAt === undefined ? 0 : this.#startAt - Date.now();
      if (delay > 0) {
        this.#phase = 'waiting';
        this.#later(() => this.#start(), delay);
      } else {
        this.#start();
      }
    });
  }

  /** Stops starting iterations now; what is in flight gets a short grace. */
  stop(reason = 'stopped'): void {
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
      this.#finishSoon(0);
    } else if (this.#phase === 'load') {
      this.#beginDrain(ABORT_GRACE_MS);
    } else {
      this.#finishSoon(ABORT_GRACE_MS);
    }
  }

  #later(fn: () => void, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }

  #start(): void {
    this.#phase = 'load';
    this.#t0 = performance.now();
    this.#intervalStart = this.#t0;
    this.#loopDelay.enable();
    this.#scheduleIntervalTick();
    this.#sweepTimer = setInterval(() => this.#sweepTimeouts(), 250);
    const model = this.#model;
    if (model.kind === 'open' || model.kind === 'replay') {
      if (model.kind === 'replay') {
        this.#replay = new ReplayArrivals(model.sends);
        this.#schedule = this.#replay;
      } else {
        this.#schedule = new ArrivalSchedule(model.profile);
      }
      this.#loadEndAt = this.#t0 + this.#schedule.totalMs;
      this.#nextDue = this.#schedule.next();
      this.#dispatchDue();
    } else {
      this.#loadEndAt = this.#t0 + model.durationMs;
      this.#later(() => this.#beginDrain(this.#gracefulStopMs), model.durationMs);
      const now = performance.now();
      for (let vu = 0; vu < model.vus; vu++) this.#startIteration(now);
    }
  }

  // ---- arrivals and iterations ------------------------------------------------------

  readonly #dispatchDue = (): void => {
    if (this.#phase !== 'load' || this.#schedule === undefined) return;
    const now = performance.now();
    const elapsed = now - this.#t0;
    while (this.#nextDue !== undefined && this.#nextDue <= elapsed) {
      this.#arrival(this.#t0 + this.#nextDue);
      this.#nextDue = this.#schedule.next();
    }
    if (this.#nextDue === undefined) {
      this.#later(
        () => this.#beginDrain(this.#gracefulStopMs),
        Math.max(0, this.#loadEndAt - performance.now()),
      );
      return;
    }
    const gap = this.#nextDue - elapsed;
    if (gap > 1) this.#later(this.#dispatchDue, Math.floor(gap));
    else setImmediate(this.#dispatchDue);
  };

  #arrival(intendedAt: number): void {
    const model = this.#model as Exclude<FlowModel, { kind: 'closed' }>;
    if (this.#iterations.size >= model.maxInFlight) {
      this.#interval.counters.dropped++;
      return;
    }
    const send = this.#replay?.current;
    if (send === undefined) this.#startIteration(intendedAt);
    else if (send.session !== undefined && this.#sessionQueues.has(send.session)) {
      // The session's previous request is still out: this one goes when it comes back.
      if (this.#iterations.size + this.#queuedSends >= model.maxInFlight) {
        this.#interval.counters.dropped++;
        return;
      }
      this.#sessionQueues.get(send.session)?.push({ send, intendedAt });
      this.#queuedSends++;
    } else this.#startReplaySend(send, intendedAt);
  }

  #startReplaySend(send: ReplaySend, intendedAt: number): void {
    const flow = this.#plan.flows[send.step] as CompiledFlow;
    const request = replayRequest(send, this.#plan.target, this.#extraHeaders);
    if (send.session !== undefined && !this.#sessionQueues.has(send.session)) {
      this.#sessionQueues.set(send.session, []);
    }
    this.#startIteration(intendedAt, flow, request, send.session);
  }

  /** A replay session's request ended: its next queued send goes now, or the session idles. */
  #nextOfSession(session: number): void {
    const queue = this.#sessionQueues.get(session);
    const next = queue?.shift();
    if (!next) {
      this.#sessionQueues.delete(session);
      return;
    }
    this.#queuedSends--;
    if (this.#aborted || this.#phase === 'done') {
      this.#interval.counters.dropped++;
      this.#nextOfSession(session);
      return;
    }
    this.#startReplaySend(next.send, next.intendedAt);
  }

  #pickFlow(): CompiledFlow {
    const point = Math.random() * this.#totalWeight;
    for (let i = 0; i < this.#cumulativeWeights.length; i++) {
      if (point < (this.#cumulativeWeights[i] as number))
        return this.#plan.flows[i] as CompiledFlow;
    }
    return this.#plan.flows[this.#plan.flows.length - 1] as CompiledFlow;
  }

  #startIteration(
    dueAt: number,
    flow = this.#pickFlow(),
    request?: Buffer,
    session?: number,
  ): void {
    const rows: IterationContext['rows'] = {};
    for (const name of flow.feeders) {
      const cursor = this.#plan.feeders[name];
      if (cursor) rows[name] = cursor.next();
    }
    const iteration: Iteration = {
      flow,
      context: { vars: new Map(), rows, iteration: this.#iterationCount++, runId: this.#runId },
      stepIndex: 0,
      thinkTimer: undefined,
      finished: false,
      request,
      session,
    };
    this.#iterations.add(iteration);
    const started = this.#interval.counters.iterationsStarted;
    started.set(flow.name, (started.get(flow.name) ?? 0) + 1);
    this.#runStep(iteration, dueAt);
  }

  #runStep(iteration: Iteration, dueAt: number): void {
    const step = iteration.flow.steps[iteration.stepIndex] as CompiledStep;
    let request: Buffer;
    try {
      request = iteration.request ?? this.#requestFor(step, iteration.context);
    } catch (error) {
      if (!(error instanceof RenderError)) throw error;
      this.#interval.recordTransportError(step.name, 'ETEMPLATE');
      this.#endIteration(iteration, false);
      return;
    }
    const send: StepSend = { capture: step.capture, iteration, step, dueAt, request };
    const connection = this.#popIdle();
    if (connection) this.#send(connection, send, performance.now());
    else {
      this.#pending.push(send);
      this.#growPool(performance.now());
    }
  }

  #requestFor(step: CompiledStep, context: IterationContext): Buffer {
    if (step.dynamic) return step.render(context, this.#extraHeaders);
    let request = this.#staticRequests.get(step);
    if (!request) {
      request = step.render(context, this.#extraHeaders);
      this.#staticRequests.set(step, request);
    }
    return request;
  }

  #send(connection: Connection, send: StepSend, now: number): void {
    if (now - send.dueAt > this.#lateThresholdMs) this.#interval.counters.late++;
    connection.send(send.dueAt, send.request, send);
  }

  #endIteration(iteration: Iteration, completed: boolean): void {
    if (iteration.finished) return;
    iteration.finished = true;
    if (iteration.thinkTimer) clearTimeout(iteration.thinkTimer);
    this.#iterations.delete(iteration);
    if (completed) this.#interval.counters.iterationsCompleted++;
    else this.#interval.counters.iterationsFailed++;
    if (iteration.session !== undefined) this.#nextOfSession(iteration.session);
    if (this.#phase === 'load' && this.#model.kind === 'closed') {
      // The virtual user goes round again (on the next turn, not recursively).
      setImmediate(() => {
        if (this.#phase === 'load') this.#startIteration(performance.now());
      });
    }
    if (this.#phase === 'drain' && this.#iterations.size === 0) this.#finishSoon(0);
  }

  #afterStep(iteration: Iteration, ok: boolean): void {
    if (!ok || this.#phase === 'done') {
      this.#endIteration(iteration, false);
      return;
    }
    const step = iteration.flow.steps[iteration.stepIndex] as CompiledStep;
    iteration.stepIndex++;
    if (iteration.stepIndex >= iteration.flow.steps.length) {
      this.#endIteration(iteration, true);
    } else if (step.thinkMs > 0) {
      iteration.thinkTimer = setTimeout(() => {
        iteration.thinkTimer = undefined;
        if (!iteration.finished) this.#runStep(iteration, performance.now());
      }, step.thinkMs);
    } else {
      this.#runStep(iteration, performance.now());
    }
  }

  // ---- connections ------------------------------------------------------------------

  #popIdle(): Connection | undefined {
    while (this.#idle.length > 0) {
      const candidate = this.#idle.pop() as Connection;
      candidate.inIdleStack = false;
      if (candidate.free) return candidate;
    }
    return undefined;
  }

  #growPool(now: number): void {
    const maxConnections =
      this.#model.kind === 'closed' ? this.#model.vus : this.#model.maxInFlight;
    while (
      this.#pending.length > 0 &&
      this.#connecting < MAX_CONNECTING &&
      this.#connections.size < maxConnections
    ) {
      const connection = new Connection(this, {
        endpoint: this.#plan.endpoint,
        request: Buffer.alloc(0),
        pipelining: 1,
        bodiless: false,
        insecure: this.#insecure,
        readBuffer: this.#readBuffer,
      });
      this.#connections.add(connection);
      this.#peakConnections = Math.max(this.#peakConnections, this.#connections.size);
      this.#connecting++;
      this.#send(connection, this.#pending.shift() as StepSend, now);
    }
  }

  onConnected(): void {
    this.#connecting--;
  }

  onFree(connection: Connection): void {
    if (this.#phase === 'done') return;
    if (this.#pending.length > 0 && connection.free) {
      this.#send(connection, this.#pending.shift() as StepSend, performance.now());
    }
    if (connection.free && !connection.inIdleStack) {
      connection.inIdleStack = true;
      this.#idle.push(connection);
    }
  }

  onResponse(
    _connection: Connection,
    statusCode: number,
    startedAt: number,
    context: SendContext | undefined,
    captured: CapturedResponse | undefined,
  ): void {
    const send = context as StepSend;
    const latencyUs = (performance.now() - startedAt) * 1000;
    const cell = this.#interval.recordResponse(send.step.name, statusCode, latencyUs);
    const outcome = evaluateResponse(
      send.step,
      statusCode,
      latencyUs,
      captured,
      send.iteration.context.vars,
    );
    cell.checks += outcome.checks;
    cell.checksFailed += outcome.checksFailed;
    this.#afterStep(send.iteration, outcome.extractionFailed === undefined);
  }

  onFailed(
    _connection: Connection,
    _count: number,
    errorCode: string,
    contexts: ReadonlyArray<SendContext | undefined>,
  ): void {
    for (const context of contexts) {
      const send = context as StepSend;
      this.#interval.recordTransportError(send.step.name, errorCode);
      this.#afterStep(send.iteration, false);
    }
  }

  onClosed(connection: Connection): void {
    this.#connections.delete(connection);
    if (!connection.wasConnected) this.#connecting--;
    if (this.#pending.length > 0 && this.#phase !== 'done') this.#growPool(performance.now());
  }

  #sweepTimeouts(): void {
    const deadline = performance.now() - this.#timeoutMs;
    for (const connection of this.#connections) {
      const oldest = connection.oldestStartedAt;
      if (oldest !== undefined && oldest < deadline) connection.destroy('ETIMEDOUT');
    }
    while (this.#pending.length > 0 && (this.#pending[0] as StepSend).dueAt < deadline) {
      const send = this.#pending.shift() as StepSend;
      this.#interval.recordTransportError(send.step.name, 'ETIMEDOUT');
      this.#afterStep(send.iteration, false);
    }
  }

  // ---- intervals and end of run -----------------------------------------------------

  #scheduleIntervalTick(): void {
    const dueAt = this.#t0 + (this.#intervalIndex + 1) * this.#intervalMs;
    this.#later(
      () => {
        this.#rotateInterval(performance.now());
        if (this.#phase !== 'done') this.#scheduleIntervalTick();
      },
      Math.max(0, dueAt - performance.now()),
    );
  }

  #rotateInterval(now: number): void {
    const table = this.#interval;
    this.#interval = new StepTable();
    this.#totals.add(table);
    const startMs = performance.timeOrigin + this.#intervalStart;
    const second = Math.floor(startMs / 1000);
    const interval: FlowInterval = {
      index: this.#intervalIndex,
      startMs,
      endMs: performance.timeOrigin + now,
      second,
      rows: table.toRows(this.#runId, this.#agentId, second),
      table,
      activeIterations: this.#iterations.size,
      connections: this.#connections.size,
      eventLoopDelayP99Ms: this.#loopDelay.percentile(99) / 1e6,
    };
    this.#loopDelay.reset();
    this.#intervalIndex++;
    this.#intervalStart = now;
    this.emit('interval', interval);
  }

  #beginDrain(graceMs: number): void {
    if (this.#phase !== 'load') return;
    this.#phase = 'drain';
    const now = performance.now();
    // Only a stop shortens the load phase; a timer firing a hair early does not.
    if (this.#aborted && now < this.#loadEndAt) this.#loadEndAt = now;
    this.#finishSoon(this.#iterations.size === 0 ? 0 : graceMs);
  }

  #finishSoon(delayMs: number): void {
    if (this.#phase === 'done') return;
    if (this.#drainTimer) clearTimeout(this.#drainTimer);
    this.#drainTimer = setTimeout(() => this.#finish(), delayMs);
  }

  #finish(): void {
    if (this.#phase === 'done') return;
    this.#phase = 'done';
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    clearInterval(this.#sweepTimer);
    clearTimeout(this.#drainTimer);
    for (const send of this.#pending.splice(0)) {
      this.#interval.recordTransportError(send.step.name, 'EUNFINISHED');
      this.#endIteration(send.iteration, false);
    }
    for (const connection of [...this.#connections]) connection.destroy('EUNFINISHED');
    for (const iteration of [...this.#iterations]) this.#endIteration(iteration, false);
    this.#rotateInterval(performance.now());
    this.#loopDelay.disable();
    const started = this.#totals.counters.iterationsStarted;
    const startedTotal = [...started.values()].reduce((a, b) => a + b, 0);
    const report: FlowReport = {
      runId: this.#runId,
      startedAtMs: performance.timeOrigin + this.#t0,
      endedAtMs: performance.timeOrigin + performance.now(),
      durationS: Math.max((this.#loadEndAt - this.#t0) / 1000, 0),
      totals: this.#totals,
      intendedMix: this.#plan.intendedMix,
      achievedMix: Object.fromEntries(
        this.#plan.flows.map((flow) => [
          flow.name,
          startedTotal === 0 ? 0 : (started.get(flow.name) ?? 0) / startedTotal,
        ]),
      ),
      peakConnections: this.#peakConnections,
      aborted: this.#aborted,
      ...(this.#abortReason === undefined ? {} : { abortReason: this.#abortReason }),
    };
    this.emit('done', report);
    this.#resolve?.(report);
  }
}
