/**
 * k6's six executors over one lifecycle: a scenario waits for its startTime, runs its own
 * schedule of iterations, stops starting new ones at its end, lets running ones finish for
 * gracefulStop and then interrupts them. Only the scheduling differs per executor.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { CookieJar, NotAllowedError } from './http.js';
import { IterationInterrupted, TestAbort } from './modules.js';
import { type ExecutorConfig, type Stage, stagesDuration } from './options.js';
import { type K6Runtime, UnawaitedCallError, type Vu } from './vu.js';

/** VUs shared by every scenario: a VU a scenario is done with serves the next. */
export class VuPool {
  readonly #free: Vu[] = [];
  readonly all: Vu[] = [];

  constructor(private readonly runtime: K6Runtime) {}

  /** Initialises VUs up front, as k6 does before the test starts. */
  prepare(count: number): void {
    while (this.all.length < count) this.give(this.#create());
  }

  take(): Vu {
    return this.#free.pop() ?? this.#create();
  }

  /** A free VU if one is ready, or undefined (arrival-rate executors count a drop). */
  tryTake(limitReached: boolean): Vu | undefined {
    return this.#free.pop() ?? (limitReached ? undefined : this.#create());
  }

  give(vu: Vu): void {
    this.#free.push(vu);
  }

  #create(): Vu {
    const vu = this.runtime.newVu();
    this.all.push(vu);
    return vu;
  }
}

/** What a scenario needs from the run. */
export interface ScenarioContext {
  runtime: K6Runtime;
  pool: VuPool;
  /** setup()'s data, handed to every iteration */
  data: unknown;
  /** aborted when the whole run must stop now (abort, Ctrl-C, a fatal error) */
  stop: AbortSignal;
  /** a fatal error ends the run: an unconverted call, a target not allowed, exec.test.abort() */
  fatal(error: Error): void;
}

class Scenario {
  readonly startedAt = performance.now();
  readonly running = new Set<Vu>();
  /** no new iterations after this */
  ending = false;
  #iterations = 0;

  constructor(
    readonly config: ExecutorConfig,
    readonly context: ScenarioContext,
    readonly lengthMs: number,
  ) {}

  get elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  get stopping(): boolean {
    return this.ending || this.context.stop.aborted;
  }

  handle(vu: Vu) {
    const config = this.config;
    vu.scenario = {
      name: config.name,
      executor: config.executor,
      startedAt: Date.now() - this.elapsedMs,
      tags: config.tags,
      env: config.env,
      progress: () => (this.lengthMs > 0 ? Math.min(1, this.elapsedMs / this.lengthMs) : 0),
    };
    vu.env = { ...this.context.runtime.env, ...config.env };
  }

  /** One iteration on `vu`; `intendedAt` (arrival-rate) is when it should have started. */
  async iterate(vu: Vu, intendedAt?: number): Promise<void> {
    const { runtime, data } = this.context;
    const fn = vu.exports[this.config.exec];
    if (typeof fn !== 'function') {
      this.context.fatal(
        new Error(
          `scenario ${this.config.name}: exec function "${this.config.exec}" is not exported by the script`,
        ),
      );
      return;
    }
    this.running.add(vu);
    runtime.vusActive++;
    this.handle(vu);
    vu.rearm();
    vu.groupPath = '';
    const settings = runtime.iterationSettings;
    if (!settings.noCookiesReset) vu.jar = new CookieJar();
    if (settings.noVUConnectionReuse) await vu.connections.close();
    vu.scenarioIteration = this.#iterations++;
    const now = performance.now();
    if (intendedAt !== undefined) runtime.generator.started(intendedAt, now);
    // An arrival-rate iteration that started behind its schedule: its first request's
    // latency counts from when it was due (coordinated omission), not from when it went.
    vu.startLag = intendedAt === undefined ? 0 : Math.max(0, now - intendedAt);
    const started = intendedAt ?? now;
    let interrupted = false;
    try {
      await fn(data);
      // A timer may fire a little early by the monotonic clock: wait out what is left.
      for (
        let rest = settings.minIterationDurationMs - (performance.now() - now);
        rest > 0;
        rest = settings.minIterationDurationMs - (performance.now() - now)
      ) {
        await delay(Math.max(1, rest), undefined, { signal: vu.signal });
      }
    } catch (error) {
      if (error instanceof IterationInterrupted || vu.signal.aborted) interrupted = true;
      else if (
        error instanceof TestAbort ||
        error instanceof UnawaitedCallError ||
        error instanceof NotAllowedError
      ) {
        this.context.fatal(error);
        interrupted = true;
      } else {
        runtime.log(
          'error',
          `${runtime.describeError(error)}\n\texecutor=${this.config.executor} scenario=${this.config.name}`,
        );
      }
    } finally {
      this.running.delete(vu);
      runtime.vusActive--;
    }
    if (vu.pending !== undefined) {
      this.context.fatal(new UnawaitedCallError(vu.pending));
      vu.pending = undefined;
    }
    if (interrupted) {
      runtime.iterationsInterrupted++;
    } else {
      const tags = vu.tagsNow();
      delete tags.group;
      runtime.metric('iterations', 1, tags);
      runtime.metric('iteration_duration', performance.now() - started, tags);
      runtime.iterationsCompleted++;
    }
    vu.iteration++;
    vu.iterationInInstance++;
  }

  /** Stops starting iterations; after gracefulStop interrupts the ones still running. */
  async end(running: Promise<unknown>): Promise<void> {
    this.ending = true;
    const grace = delay(this.config.gracefulStop, undefined, { signal: this.context.stop }).catch(
      () => undefined,
    );
    const finished = await Promise.race([running.then(() => true), grace.then(() => false)]);
    if (!finished) {
      for (const vu of this.running) vu.interrupt();
      await running;
    }
  }
}

/** Sleeps until `ms` into the scenario, or until the run stops. */
async function until(scenario: Scenario, ms: number): Promise<void> {
  const wait = ms - scenario.elapsedMs;
  if (wait > 0)
    await delay(wait, undefined, { signal: scenario.context.stop }).catch(() => undefined);
}

/** VUs that loop iterations while `more(vu, index)` says so, for a looping executor. */
async function loopVus(
  scenario: Scenario,
  count: number,
  more: (index: number, done: number) => boolean,
): Promise<void> {
  const { pool } = scenario.context;
  await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const vu = pool.take();
      vu.iteration = 0;
      let done = 0;
      try {
        while (!scenario.stopping && more(index, done)) {
          await scenario.iterate(vu);
          done++;
        }
      } finally {
        pool.give(vu);
      }
    }),
  );
}

/** Runs one scenario from its startTime to its end, gracefulStop included. */
export async function runScenario(config: ExecutorConfig, context: ScenarioContext): Promise<void> {
  if (config.startTime > 0) {
    await delay(config.startTime, undefined, { signal: context.stop }).catch(() => undefined);
    if (context.stop.aborted) return;
  }
  switch (config.executor) {
    case 'shared-iterations': {
      const scenario = new Scenario(config, context, config.maxDuration);
      let claimed = 0;
      const running = loopVus(scenario, config.vus, () => claimed++ < config.iterations);
      await Promise.race([running, until(scenario, config.maxDuration)]);
      await scenario.end(running);
      return;
    }
    case 'per-vu-iterations': {
      const scenario = new Scenario(config, context, config.maxDuration);
      const running = loopVus(scenario, config.vus, (_, done) => done < config.iterations);
      await Promise.race([running, until(scenario, config.maxDuration)]);
      await scenario.end(running);
      return;
    }
    case 'constant-vus': {
      const scenario = new Scenario(config, context, config.duration);
      const running = loopVus(scenario, config.vus, () => scenario.elapsedMs < config.duration);
      await until(scenario, config.duration);
      await scenario.end(running);
      return;
    }
    case 'ramping-vus':
      return rampingVus(config, context);
    case 'constant-arrival-rate':
    case 'ramping-arrival-rate':
      return arrivalRate(config, context);
  }
}

/**
 * VUs planned at `t` ms: k6 changes the count one VU at a time where the straight line
 * between stage targets crosses a whole number, moving from the stage's start value.
 */
export function plannedVus(startVUs: number, stages: readonly Stage[], t: number): number {
  let from = startVUs;
  let at = 0;
  for (const stage of stages) {
    if (t < at + stage.duration) {
      const share = (t - at) / stage.duration;
      const value = from + (stage.target - from) * share;
      return stage.target >= from ? Math.floor(value + 1e-9) : Math.ceil(value - 1e-9);
    }
    at += stage.duration;
    from = stage.target;
  }
  return from;
}

async function rampingVus(
  config: Extract<ExecutorConfig, { executor: 'ramping-vus' }>,
  context: ScenarioContext,
): Promise<void> {
  const length = stagesDuration(config.stages);
  const scenario = new Scenario(config, context, length);
  const peak = Math.max(config.startVUs, ...config.stages.map((s) => s.target));
  const planned = () => plannedVus(config.startVUs, config.stages, scenario.elapsedMs);
  const { pool } = context;
  const slots = Array.from({ length: peak }, async (_, index) => {
    let vu: Vu | undefined;
    let rampDown: NodeJS.Timeout | undefined;
    try {
      while (!scenario.stopping && scenario.elapsedMs < length) {
        if (planned() <= index) {
          if (vu) {
            pool.give(vu);
            vu = undefined;
          }
          await delay(10);
          continue;
        }
        if (!vu) {
          vu = pool.take();
          vu.iteration = 0;
        }
        const current = vu;
        // Ramping down: the VU may finish its iteration within gracefulRampDown.
        const watch = setInterval(() => {
          if (planned() <= index && !rampDown) {
            rampDown = setTimeout(() => current.interrupt(), config.gracefulRampDown);
          }
        }, 10);
        try {
          await scenario.iterate(current);
        } finally {
          clearInterval(watch);
          clearTimeout(rampDown);
          rampDown = undefined;
        }
      }
    } finally {
      if (vu) pool.give(vu);
    }
  });
  const running = Promise.all(slots);
  await until(scenario, length);
  await scenario.end(running);
}

/**
 * When the n-th iteration (n ≥ 1) starts, in ms, for a rate in iterations per ms that
 * follows `startRate` then each stage's line: the time where the integral reaches n.
 * Undefined past the last stage.
 */
export function arrivalTime(
  startRate: number,
  stages: readonly Stage[],
  n: number,
): number | undefined {
  let at = 0;
  let from = startRate;
  let total = 0;
  for (const stage of stages) {
    const area = ((from + stage.target) / 2) * stage.duration;
    if (total + area >= n && area > 0) {
      const need = n - total;
      const slope = (stage.target - from) / stage.duration;
      // from·t + slope·t²/2 = need
      const t =
        Math.abs(slope) < 1e-15
          ? need / from
          : (-from + Math.sqrt(Math.max(0, from * from + 2 * slope * need))) / slope;
      return at + t;
    }
    total += area;
    at += stage.duration;
    from = stage.target;
  }
  return undefined;
}

async function arrivalRate(
  config: Extract<ExecutorConfig, { executor: 'constant-arrival-rate' | 'ramping-arrival-rate' }>,
  context: ScenarioContext,
): Promise<void> {
  const perMs = (rate: number) => rate / config.timeUnit;
  // constant-arrival-rate starts its first iteration at once, ramping at 1/rate (as k6).
  const next: (n: number) => number | undefined =
    config.executor === 'constant-arrival-rate'
      ? (n) => {
          const t = (n - 1) / perMs(config.rate);
          return t < config.duration ? t : undefined;
        }
      : (n) =>
          arrivalTime(
            perMs(config.startRate),
            config.stages.map((s) => ({ duration: s.duration, target: perMs(s.target) })),
            n,
          );
  const length =
    config.executor === 'constant-arrival-rate' ? config.duration : stagesDuration(config.stages);
  const scenario = new Scenario(config, context, length);
  const { pool, runtime } = context;
  let owned = 0;
  const inFlight = new Set<Promise<void>>();
  for (let n = 1; !scenario.stopping; n++) {
    const at = next(n);
    if (at === undefined || at >= length) break;
    await until(scenario, at);
    if (scenario.stopping) break;
    const vu = pool.tryTake(owned >= config.maxVUs);
    if (!vu) {
      runtime.generator.dropped++;
      runtime.metric('dropped_iterations', 1, {
        ...runtime.baseTags,
        ...config.tags,
        scenario: config.name,
      });
      continue;
    }
    owned++;
    const intendedAt = scenario.startedAt + at;
    const run = scenario.iterate(vu, intendedAt).finally(() => {
      owned--;
      pool.give(vu);
      inFlight.delete(run);
    });
    inFlight.add(run);
  }
  await until(scenario, length);
  await scenario.end(Promise.all(inFlight));
}
