import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { ReplaySend } from '@loadline/api';
import { type Arrivals, type Dispatch, dispatchArrivals } from '../arrivals.js';
import type { Connection, ConnectionHost, SendContext } from '../connection.js';
import { type IntervalWindow, RunLifecycle, type RunWindow } from '../lifecycle.js';
import { ConnectionPool } from '../pool.js';
import type { CapturedResponse } from '../response-parser.js';
import { ArrivalSchedule } from '../schedule.js';
import { evaluateResponse } from './checks.js';
import type { CompiledFlow, CompiledPlan, CompiledStep } from './compile.js';
import { achievedMix, FlowPicker } from './mix.js';
import { type IterationContext, RenderError } from './render.js';
import { ReplayArrivals, replayRequest } from './replay.js';
import { ReplaySessions } from './replay-sessions.js';
import { INVALID_REQUEST, InvalidRequestError } from './sendable.js';
import { StepTable } from './step-stats.js';
import type { FlowEvents, FlowInterval, FlowModel, FlowReport, FlowRunOptions } from './types.js';

export type { FlowEvents, FlowInterval, FlowModel, FlowReport, FlowRunOptions } from './types.js';

/** At most this many connections are opened before the start (a closed model's first VUs). */
const OPEN_AHEAD_MAX = 32;

interface Iteration {
  flow: CompiledFlow;
  context: IterationContext;
  stepIndex: number;
  thinkTimer: NodeJS.Timeout | undefined;
  finished: boolean;
  /** A replay send: its captured request is sent as is (no template to render). */
  replay?: ReplaySend;
  /** A replay send's session: the next send of the session waits for this one. */
  session?: number;
}

interface StepSend extends SendContext {
  iteration: Iteration;
  step: CompiledStep;
  dueAt: number;
  request: Buffer;
}

/**
 * Runs a scenario's flows. Open model: each arrival of the rate profile starts one flow
 * iteration, chosen by weight; the first step's latency counts from the arrival's intended
 * time, each later step's from when it became due (previous response + think time).
 * Closed model: `vus` virtual users each loop over iterations back to back.
 * Replay: each planned send is an arrival at its own time, sending its captured request
 * (a one-step iteration of its step's flow); latency counts from the planned time.
 * Results are kept per (step, status class) and rotated every interval; the run lifecycle
 * (start time, intervals, stop, drain, report) is RunLifecycle's.
 */
export class FlowRunner extends EventEmitter<FlowEvents> implements ConnectionHost {
  readonly #plan: CompiledPlan;
  readonly #model: FlowModel;
  readonly #runId: string;
  readonly #agentId: string;
  readonly #extraHeaders: ReadonlyArray<readonly [string, string]>;
  readonly #timeoutMs: number;
  readonly #lateThresholdMs: number;
  readonly #startAt: number | undefined;
  readonly #clockOffsetMs: number;
  readonly #life: RunLifecycle<FlowInterval, FlowReport>;
  readonly #pool: ConnectionPool;
  readonly #pending: StepSend[] = [];
  readonly #iterations = new Set<Iteration>();
  readonly #staticRequests = new Map<CompiledStep, Buffer>();
  readonly #flows: FlowPicker;
  readonly #totals = new StepTable();
  #interval = new StepTable();
  #replay: ReplayArrivals | undefined;
  /** an open model's schedule and its dispatch, for a rate change while it runs */
  #schedule: ArrivalSchedule | undefined;
  #dispatch: Dispatch | undefined;
  #rateMultiplier = 1;
  readonly #sessions = new ReplaySessions();
  #iterationCount = 0;

  constructor(options: FlowRunOptions) {
    super();
    this.#plan = options.plan;
    this.#model = options.model;
    this.#runId = options.runId;
    this.#agentId = options.agentId ?? 'local';
    this.#extraHeaders = options.extraHeaders ?? [];
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#lateThresholdMs = options.lateThresholdMs ?? 10;
    this.#startAt = options.startAt;
    this.#clockOffsetMs = options.clockOffsetMs ?? 0;
    this.#flows = new FlowPicker(this.#plan.flows);
    this.#pool = new ConnectionPool(this, {
      endpoint: this.#plan.endpoint,
      request: Buffer.alloc(0),
      pipelining: 1,
      bodiless: false,
      insecure: options.insecure ?? false,
    });
    this.#life = new RunLifecycle(
      {
        begin: () => this.#begin(),
        sweep: () => this.#sweepTimeouts(),
        active: () => this.#iterations.size,
        settle: () => this.#settle(),
        interval: (window) => this.#intervalReport(window),
        report: (run) => this.#runReport(run),
      },
      this,
      {
        name: 'FlowRunner',
        gracefulStopMs: options.gracefulStopMs ?? Math.min(this.#timeoutMs, 10_000),
        intervalMs: options.intervalMs ?? 1000,
      },
    );
  }

  run(): Promise<FlowReport> {
    const report = this.#life.run(
      this.#startAt === undefined ? undefined : this.#startAt - this.#clockOffsetMs,
    );
    // Waiting for a common start: the first sends' connections are opened now (no request
    // goes before the start), so the start is not spent on handshakes and cold code, and
    // agents on several machines start together.
    if (this.#life.phase === 'waiting') this.#openAhead();
    return report;
  }

  #openAhead(): void {
    const model = this.#model;
    const [wanted, max] =
      model.kind === 'closed'
        ? [Math.min(model.vus, OPEN_AHEAD_MAX), model.vus]
        : [1, model.maxInFlight];
    for (let i = 0; i < wanted && this.#pool.canGrow(max); i++) {
      this.#pool.open();
      this.#pool.connecting++;
    }
  }

  get rateMultiplier(): number {
    return this.#rateMultiplier;
  }

  /**
   * From now on an open model's rate is its profile's times `multiplier` (> 0): what was
   * sent stays, the rest of the profile is scaled (before the start: all of it).
   */
  setRateMultiplier(multiplier: number): void {
    if (this.#model.kind !== 'open') {
      throw new TypeError(`a ${this.#model.kind}-model run has no arrival rate to change`);
    }
    if (!(multiplier > 0) || !Number.isFinite(multiplier)) {
      throw new RangeError(`a rate multiplier is a positive number, got ${multiplier}`);
    }
    this.#rateMultiplier = multiplier;
    if (this.#schedule === undefined || this.#life.phase !== 'load') return;
    this.#schedule.setMultiplier(multiplier, performance.now() - this.#life.t0);
    this.#dispatch?.rescheduled();
  }

  /** Stops starting iterations now; what is in flight gets a short grace. */
  stop(reason = 'stopped'): void {
    this.#life.stop(reason);
  }

  #begin(): void {
    const model = this.#model;
    if (model.kind === 'closed') {
      this.#life.loadFor(model.durationMs);
      this.#life.endLoadIn(model.durationMs);
      const now = performance.now();
      for (let vu = 0; vu < model.vus; vu++) this.#startIteration(now);
      return;
    }
    let arrivals: Arrivals;
    if (model.kind === 'replay') {
      this.#replay = new ReplayArrivals(model.sends);
      arrivals = this.#replay;
    } else {
      this.#schedule = new ArrivalSchedule(model.profile);
      if (this.#rateMultiplier !== 1) this.#schedule.setMultiplier(this.#rateMultiplier, 0);
      arrivals = this.#schedule;
    }
    this.#dispatch = dispatchArrivals(this.#life, arrivals, (intendedAt) =>
      this.#arrival(intendedAt),
    );
  }

  // ---- arrivals and iterations ------------------------------------------------------

  #arrival(intendedAt: number): void {
    const model = this.#model as Exclude<FlowModel, { kind: 'closed' }>;
    if (this.#iterations.size >= model.maxInFlight) {
      this.#interval.counters.dropped++;
      return;
    }
    const send = this.#replay?.current;
    if (send === undefined) this.#startIteration(intendedAt);
    else if (this.#sessions.busy(send.session)) {
      // The session's previous request is still out: this one goes when it comes back.
      if (this.#iterations.size + this.#sessions.queued >= model.maxInFlight) {
        this.#interval.counters.dropped++;
        return;
      }
      this.#sessions.enqueue(send.session, { send, intendedAt });
    } else this.#startReplaySend(send, intendedAt);
  }

  #startReplaySend(send: ReplaySend, intendedAt: number): void {
    const flow = this.#plan.flows[send.step] as CompiledFlow;
    this.#sessions.open(send.session);
    this.#startIteration(intendedAt, flow, send);
  }

  /** A replay session's request ended: its next queued send goes now, or the session idles. */
  #nextOfSession(session: number): void {
    const next = this.#sessions.next(session);
    if (!next) return;
    if (this.#life.aborted || this.#life.phase === 'done') {
      this.#interval.counters.dropped++;
      this.#nextOfSession(session);
      return;
    }
    this.#startReplaySend(next.send, next.intendedAt);
  }

  #startIteration(dueAt: number, flow = this.#flows.pick(), replay?: ReplaySend): void {
    const rows: IterationContext['rows'] = {};
    for (const name of flow.feeders) {
      const cursor = this.#plan.feeders[name];
      if (cursor) rows[name] = cursor.next();
    }
    const iteration: Iteration = {
      flow,
      context: {
        vars: new Map(),
        rows,
        secrets: this.#plan.secrets,
        iteration: this.#iterationCount++,
        runId: this.#runId,
      },
      stepIndex: 0,
      thinkTimer: undefined,
      finished: false,
      replay,
      session: replay?.session,
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
      request = iteration.replay
        ? replayRequest(iteration.replay, this.#plan.target, this.#extraHeaders)
        : this.#requestFor(step, iteration.context);
    } catch (error) {
      // Nothing of a request that cannot be rendered, or must not be sent, reaches a socket.
      if (error instanceof RenderError) this.#interval.recordTransportError(step.name, 'ETEMPLATE');
      else if (error instanceof InvalidRequestError) {
        this.#interval.recordTransportError(step.name, INVALID_REQUEST);
      } else throw error;
      this.#endIteration(iteration, false);
      return;
    }
    const send: StepSend = { capture: step.capture, iteration, step, dueAt, request };
    const connection = this.#pool.popIdle();
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
    this.#interval.counters.sent++;
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
    if (this.#life.phase === 'load' && this.#model.kind === 'closed') {
      // The virtual user goes round again (on the next turn, not recursively).
      setImmediate(() => {
        if (this.#life.phase === 'load') this.#startIteration(performance.now());
      });
    }
    if (this.#life.phase === 'drain' && this.#iterations.size === 0) this.#life.finishSoon(0);
  }

  #afterStep(iteration: Iteration, ok: boolean): void {
    if (!ok || this.#life.phase === 'done') {
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

  #growPool(now: number): void {
    const maxConnections =
      this.#model.kind === 'closed' ? this.#model.vus : this.#model.maxInFlight;
    while (this.#pending.length > 0 && this.#pool.canGrow(maxConnections)) {
      const connection = this.#pool.open();
      this.#pool.connecting++;
      this.#send(connection, this.#pending.shift() as StepSend, now);
    }
  }

  onConnected(): void {
    this.#pool.connecting--;
  }

  onFree(connection: Connection): void {
    if (this.#life.phase === 'done') return;
    if (this.#pending.length > 0 && connection.free) {
      this.#send(connection, this.#pending.shift() as StepSend, performance.now());
    }
    if (connection.free) this.#pool.pushIdle(connection);
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
    this.#pool.delete(connection);
    if (!connection.wasConnected) this.#pool.connecting--;
    if (this.#pending.length > 0 && this.#life.phase !== 'done') {
      this.#growPool(performance.now());
    }
  }

  #sweepTimeouts(): void {
    const deadline = performance.now() - this.#timeoutMs;
    this.#pool.expire(deadline);
    while (this.#pending.length > 0 && (this.#pending[0] as StepSend).dueAt < deadline) {
      const send = this.#pending.shift() as StepSend;
      this.#interval.recordTransportError(send.step.name, 'ETIMEDOUT');
      this.#afterStep(send.iteration, false);
    }
  }

  // ---- end of run and reports -------------------------------------------------------

  #settle(): void {
    for (const send of this.#pending.splice(0)) {
      this.#interval.recordTransportError(send.step.name, 'EUNFINISHED');
      this.#endIteration(send.iteration, false);
    }
    this.#pool.destroyAll('EUNFINISHED');
    for (const iteration of [...this.#iterations]) this.#endIteration(iteration, false);
  }

  #intervalReport(window: IntervalWindow): FlowInterval {
    const table = this.#interval;
    this.#interval = new StepTable();
    this.#totals.add(table);
    const startMs = this.#onRunClock(window.startedAt);
    const second = Math.floor(startMs / 1000);
    return {
      index: window.index,
      startMs,
      endMs: this.#onRunClock(window.endedAt),
      second,
      rows: table.toRows(this.#runId, this.#agentId, second),
      table,
      activeIterations: this.#iterations.size,
      connections: this.#pool.size,
      eventLoopDelayP99Ms: window.eventLoopDelayP99Ms,
      generator: {
        second,
        sent: table.counters.sent,
        late: table.counters.late,
        dropped: table.counters.dropped,
        eventLoopDelayP99Ms: window.eventLoopDelayP99Ms,
        cpu: window.cpu,
        ms: Math.round(window.endedAt - window.startedAt),
      },
    };
  }

  /** epoch ms on the run's clock of a performance.now() reading */
  #onRunClock(performanceMs: number): number {
    return performance.timeOrigin + performanceMs + this.#clockOffsetMs;
  }

  #runReport(run: RunWindow): FlowReport {
    return {
      runId: this.#runId,
      startedAtMs: run.startedAtMs + this.#clockOffsetMs,
      endedAtMs: run.endedAtMs + this.#clockOffsetMs,
      durationS: Math.max(run.loadMs / 1000, 0),
      totals: this.#totals,
      intendedMix: this.#plan.intendedMix,
      achievedMix: achievedMix(this.#plan, this.#totals.counters.iterationsStarted),
      peakConnections: this.#pool.peak,
      ...run.outcome,
    };
  }
}
