import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { maskSecrets, open } from '@loadline/access';
import {
  type AgentMessage,
  type ControlSignal,
  hostMatcher,
  type K6Metrics,
  type ShardJob,
} from '@loadline/api';
import type { RedisTopology } from '@loadline/config';
import {
  type CompiledPlan,
  compileReplay,
  compileScenario,
  type FlowModel,
  FlowRunner,
  GuardrailMonitor,
  stepTableSource,
} from '@loadline/engine';
import { endsTheRun, runK6Script } from '@loadline/k6';
import type { AgentClock, AgentSigner, ControlVerifier, Redis } from '@loadline/queue';
import {
  ClockFilter,
  connectRedis,
  DEFAULT_REDIS_URL,
  getRunScript,
  RedisNames,
  readAgentClock,
  removeAgent,
  ShardWorker,
  SignalSubscription,
  sendAgentMessage,
  writeHeartbeat,
} from '@loadline/queue';
import { joinK6Script, Scenario } from '@loadline/scenario';
import { z } from 'zod';
import { type AgentCredentials, agentSigner, controlVerifier, enrollAgent } from './credentials.js';

const VERSION = '0.1.0';

export interface AgentOptions {
  redisUrl?: string;
  /** Sentinels or a Cluster (REDIS_SENTINELS, REDIS_CLUSTER_NODES); none: redisUrl's server */
  redisTopology?: RedisTopology;
  /** PEM of the authority behind Redis's TLS certificate (rediss://), when not a system one */
  redisCa?: string;
  namespace?: string;
  agentId?: string;
  /**
   * How the agent proves who it is: enroll with control's API and an agent token, or
   * credentials already issued (control's keys derive them; tests that play control).
   */
  enroll?: { api: string; token: string };
  credentials?: AgentCredentials;
  /**
   * at most this long without hearing control (the dead-man switch); a shard's own grace
   * (its environment's, control's LOADLINE_CONTROL_GRACE) applies when shorter
   */
  deadManMs?: number;
  heartbeatMs?: number;
  /** requests/s this agent carries (`loadline bench --save-capacity`), said in its heartbeats */
  capacityRps?: number;
  /**
   * Run one shard, then take no other (`done` resolves): a pod of an Indexed Job per run
   * ends when its shard does.
   */
  once?: boolean;
  log?: (line: string) => void;
}

/** Control counts as away once it has been silent this long (it says something every second). */
const CONTROL_AWAY_MS = 2500;

/**
 * Intervals waiting for Redis (an outage) past which the agent stops its load: what it sends
 * must be measured, and ten minutes of results is as much as it keeps.
 */
const MAX_UNDELIVERED = 600;

/** Heartbeats between two readings of control's clock (clocks drift slowly; a reading is cheap). */
const CLOCK_EVERY_BEATS = 10;

/**
 * A load-generator agent. It holds nothing that matters after it dies: a shard's data is
 * what it already pushed. It runs one shard at a time, starts when control says so, and
 * stops on abort. While control is away (a restart, a standby taking over) it goes on for
 * the shard's grace, judging the run's guardrails on its own traffic; then it stops.
 */
export class Agent {
  readonly agentId: string;
  readonly #jobKey: Buffer;
  /** the secrets of the shard under way: masked in whatever leaves the agent */
  #secrets: readonly string[] = [];
  readonly #signer: AgentSigner;
  readonly #verifier: ControlVerifier;
  readonly #redis: Redis;
  readonly #names: RedisNames;
  readonly #deadManMs: number | undefined;
  readonly #capacityRps: number | undefined;
  readonly #once: boolean;
  #shardEnded: () => void = () => {};
  /** with `once`: resolves when the agent's one shard has ended */
  readonly done = new Promise<void>((resolve) => {
    this.#shardEnded = resolve;
  });
  readonly #log: (line: string) => void;
  readonly #loopDelay = monitorEventLoopDelay({ resolution: 10 });
  #worker: ShardWorker | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #runner: FlowRunner | undefined;
  #runId: string | null = null;
  #stopped = false;
  /** this agent's offset to control's clock; a run starts, and is stamped, on control's */
  #clock: AgentClock | undefined;
  readonly #clockFilter = new ClockFilter();
  #beats = 0;
  /** the shard's rate multiplier as control last said it, and a change waiting for its instant */
  #rateMultiplier = 1;
  #rateTimer: NodeJS.Timeout | undefined;

  private constructor(options: AgentOptions, credentials: AgentCredentials) {
    this.agentId = credentials.agentId;
    this.#jobKey = credentials.jobKey;
    this.#signer = agentSigner(credentials);
    this.#verifier = controlVerifier(credentials);
    this.#redis = connectRedis(options.redisUrl ?? DEFAULT_REDIS_URL, {
      ...(options.redisCa === undefined ? {} : { tlsCa: options.redisCa }),
      topology: options.redisTopology,
    });
    this.#redis.on('error', (error: Error) => this.#log(`redis: ${error.message}`));
    this.#names = new RedisNames(options.namespace, {
      cluster: options.redisTopology?.kind === 'cluster',
    });
    this.#deadManMs = options.deadManMs;
    this.#capacityRps = options.capacityRps;
    this.#once = options.once ?? false;
    const log = options.log ?? (() => {});
    this.#log = (line) => log(maskSecrets(line, this.#secrets));
  }

  static async start(options: AgentOptions): Promise<Agent> {
    const agentId =
      options.agentId ?? `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
    const credentials =
      options.credentials ??
      (options.enroll
        ? await enrollAgent(options.enroll.api, options.enroll.token, agentId, VERSION)
        : undefined);
    if (!credentials) {
      throw new TypeError('an agent needs to enroll (api and agent token) or credentials');
    }
    const agent = new Agent(options, credentials);
    agent.#loopDelay.enable();
    await agent.#beat();
    agent.#heartbeat = setInterval(() => {
      agent.#beat().catch((error) => agent.#log(`heartbeat failed: ${error.message}`));
    }, options.heartbeatMs ?? 1000);
    agent.#worker = new ShardWorker(
      agent.#redis,
      agent.#names,
      (job) => agent.#runShard(job),
      (line) => agent.#log(line),
      agent.#verifier,
    );
    agent.#log(`agent ${agent.agentId} ready`);
    return agent;
  }

  get currentRun(): string | null {
    return this.#runId;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#heartbeat);
    this.#runner?.stop('agent stopping');
    await this.#worker?.close();
    await removeAgent(this.#redis, this.#names, this.agentId).catch(() => {});
    this.#loopDelay.disable();
    this.#redis.disconnect();
  }

  /** Reads control's clock again; a failed reading keeps the last one. */
  async #syncClock(): Promise<void> {
    try {
      this.#clock =
        (await readAgentClock(this.#redis, this.#names, this.#clockFilter)) ?? this.#clock;
    } catch (error) {
      this.#log(`could not read control's clock: ${(error as Error).message}`);
    }
  }

  /**
   * Control changed the run's rate: from `at` (control's clock) on, so that every agent
   * switches at the same instant; before the runner exists, it starts at that rate.
   */
  #changeRate(multiplier: number, at: number): void {
    this.#rateMultiplier = multiplier;
    const runner = this.#runner;
    if (!runner) return;
    clearTimeout(this.#rateTimer);
    const delayMs = at - (Date.now() + (this.#clock?.offsetMs ?? 0));
    this.#rateTimer = setTimeout(
      () => {
        this.#rateTimer = undefined;
        this.#setRunnerRate(runner, multiplier);
      },
      Math.max(0, delayMs),
    );
  }

  #setRunnerRate(runner: FlowRunner, multiplier: number): void {
    try {
      runner.setRateMultiplier(multiplier);
    } catch (error) {
      this.#log(`run ${this.#runId}: rate ×${multiplier} not applied: ${(error as Error).message}`);
    }
  }

  async #beat(): Promise<void> {
    if (this.#clock === undefined || this.#beats++ % CLOCK_EVERY_BEATS === 0) {
      await this.#syncClock();
    }
    await writeHeartbeat(
      this.#redis,
      this.#names,
      {
        type: 'heartbeat',
        agentId: this.agentId,
        host: hostname(),
        pid: process.pid,
        version: VERSION,
        runId: this.#runId,
        at: Date.now(),
        eventLoopDelayP99Ms: this.#loopDelay.percentile(99) / 1e6,
        ...(this.#capacityRps === undefined ? {} : { capacityRps: this.#capacityRps }),
        ...(this.#clock === undefined
          ? {}
          : {
              clockOffsetMs: this.#clock.offsetMs,
              clockUncertaintyMs: this.#clock.uncertaintyMs,
            }),
      },
      this.#signer,
    );
    this.#loopDelay.reset();
  }

  async #finish(
    job: ShardJob,
    aborted: boolean,
    reason?: string,
    k6?: { exitCode: number; metrics: K6Metrics | undefined },
  ): Promise<void> {
    await sendAgentMessage(
      this.#redis,
      this.#names,
      {
        type: 'shard-done',
        runId: job.runId,
        agentId: this.agentId,
        shard: job.shard,
        aborted,
        ...(reason === undefined ? {} : { reason: maskSecrets(reason, this.#secrets) }),
        ...(k6 === undefined ? {} : { k6ExitCode: k6.exitCode }),
        ...(k6?.metrics === undefined ? {} : { k6Metrics: k6.metrics }),
      },
      this.#signer,
      job.resultStreams,
    );
  }

  async #runShard(job: ShardJob): Promise<void> {
    // One shard only: no second job is taken as this one completes.
    if (this.#once) this.#worker?.stopTaking();
    try {
      await this.#runOneShard(job);
    } finally {
      if (this.#once) this.#shardEnded();
    }
  }

  async #runOneShard(job: ShardJob): Promise<void> {
    let scenarioJson = job.scenario;
    if (job.k6Script) {
      // A k6 script is stored once per run; the signed job names its digest.
      try {
        const script = await getRunScript(this.#redis, this.#names, job.runId, job.k6Script.sha256);
        scenarioJson = joinK6Script(job.scenario, script);
      } catch (error) {
        await this.#finish(job, true, `cannot run the shard: ${(error as Error).message}`);
        return;
      }
    }
    const parsed = Scenario.safeParse(scenarioJson);
    if (!parsed.success) {
      await this.#finish(
        job,
        true,
        `scenario does not validate on the agent: ${parsed.error.message}`,
      );
      return;
    }
    const scenario = parsed.data;
    // Control checked the environment; the agent checks again: load only goes where allowed.
    if (!hostMatcher(job.allowedHosts)(scenario.target)) {
      await this.#finish(
        job,
        true,
        `target ${new URL(scenario.target).host} is not in the run's allowed hosts`,
      );
      return;
    }
    let plan: CompiledPlan | undefined;
    try {
      const secrets = openJobSecrets(this.#jobKey, job);
      this.#secrets = Object.values(secrets);
      plan = job.model.kind === 'k6' ? undefined : compileShard(job, scenario, secrets);
    } catch (error) {
      await this.#finish(job, true, `cannot run the shard: ${(error as Error).message}`);
      this.#secrets = [];
      return;
    }
    this.#runId = job.runId;
    const graceMs = Math.min(job.controlGraceMs, this.#deadManMs ?? Number.POSITIVE_INFINITY);
    const session: ShardSession = {
      startAt: undefined,
      vusAt: undefined,
      setupData: undefined,
      staleStart: false,
      abortReason: undefined,
      lastHeard: Date.now(),
      graceMs,
      onAbort: () => {},
    };
    const onSignal = (signal: ControlSignal, replayed: boolean) => {
      session.lastHeard = Date.now();
      // A start published before this agent listened was for shards claimed before its own:
      // the run went on without this shard (a late or redelivered job), which never runs.
      if (signal.type === 'start' && replayed) session.staleStart = true;
      else if (signal.type === 'start') session.startAt = signal.startAt;
      else if (signal.type === 'setup-done' && session.vusAt === undefined) {
        session.setupData = signal.setupData;
        session.vusAt = signal.at;
      } else if (signal.type === 'rate') this.#changeRate(signal.rateMultiplier, signal.at);
      else if (signal.type === 'keepalive') {
        // A rate change this agent missed (Redis blipped) arrives with the next keepalive;
        // one waiting for its instant is not hurried.
        const said = signal.rateMultiplier;
        if (said !== undefined && said !== this.#rateMultiplier && !this.#rateTimer) {
          this.#changeRate(said, 0);
        }
      } else if (signal.type === 'abort') {
        session.abortReason = signal.reason;
        this.#runner?.stop(`aborted: ${signal.reason}`);
        session.onAbort();
      }
    };
    const subscription = await SignalSubscription.open(
      this.#redis,
      this.#names,
      job.runId,
      onSignal,
      (line) => this.#log(line),
      this.#verifier,
    );
    try {
      if (job.model.kind === 'k6') {
        await this.#runK6(job, scenario, session);
        return;
      }
      const unstarted = await this.#claimAndAwaitStart(job, session);
      if (unstarted !== undefined) {
        await this.#finish(job, true, unstarted);
        return;
      }
      await this.#execute(job, scenario, plan as CompiledPlan, session.startAt as number, {
        graceMs,
        lastHeard: () => session.lastHeard,
      });
    } finally {
      await subscription.close();
      clearTimeout(this.#rateTimer);
      this.#rateTimer = undefined;
      this.#rateMultiplier = 1;
      this.#runId = null;
      this.#secrets = [];
      this.#runner = undefined;
    }
  }

  /**
   * Claims the shard and waits for control's common start (in `session.startAt`). Why it
   * will not start (it was stale, aborted, control went silent, the agent stopped), or
   * undefined once it has.
   */
  async #claimAndAwaitStart(job: ShardJob, session: ShardSession): Promise<string | undefined> {
    if (session.staleStart) {
      return 'the run started before this shard was claimed; a shard never runs twice';
    }
    if (session.abortReason !== undefined) return `aborted: ${session.abortReason}`;
    await this.#syncClock();
    await sendAgentMessage(
      this.#redis,
      this.#names,
      {
        type: 'claimed',
        runId: job.runId,
        agentId: this.agentId,
        shard: job.shard,
        ...(this.#clock === undefined ? {} : { clockOffsetMs: this.#clock.offsetMs }),
      },
      this.#signer,
      job.resultStreams,
    );
    return this.#awaitSignal(session, () => session.startAt !== undefined, 'start');
  }

  /** Waits until control said what `heard` looks for: why not (aborted, silent, stopped), or undefined. */
  async #awaitSignal(
    session: ShardSession,
    heard: () => boolean,
    what: string,
  ): Promise<string | undefined> {
    while (!heard() && session.abortReason === undefined) {
      if (this.#stopped) return 'the agent stopped';
      if (Date.now() - session.lastHeard > session.graceMs) return `no ${what} signal from control`;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (session.abortReason !== undefined) return `aborted: ${session.abortReason}`;
    return undefined;
  }

  /**
   * A k6 script's shard: this agent's share of every scenario (k6's execution segment
   * shard/shardCount), started on control's signal; every second its rows (stored as any
   * run's) and its metrics so far (control judges the thresholds on every agent's merged).
   */
  async #runK6(job: ShardJob, scenario: Scenario, session: ShardSession): Promise<void> {
    const script = scenario.k6;
    if (!script || job.model.kind !== 'k6') {
      await this.#finish(job, true, 'a k6 shard without its script');
      return;
    }
    const runsSetup = job.model.setup;
    const stop = new AbortController();
    session.onAbort = () => stop.abort();
    // Two messages a second: its rows, and its metrics so far.
    const results = this.#resultsOut(job, () => stop.abort(), 2);
    let started = false;
    // Dead-man switch: an agent that has not heard control for its grace stops sending.
    const deadMan = setInterval(() => {
      if (started && Date.now() - session.lastHeard > session.graceMs) stop.abort();
      if (this.#stopped) stop.abort();
    }, 250);
    const ids = { runId: job.runId, agentId: this.agentId, shard: job.shard };
    try {
      const result = await runK6Script({
        entry: script.entry,
        script: {
          bundle: { code: script.code, map: script.map },
          files: new Map(
            Object.entries(script.files).map(([path, b64]) => [path, Buffer.from(b64, 'base64')]),
          ),
        },
        env: script.env,
        hosts: script.hosts,
        // Control checked the environment; every connection is checked again here.
        allowedHosts: job.allowedHosts,
        remoteCacheDir: '',
        overrides: script.overrides,
        thresholds: script.thresholds,
        segment: { index: job.shard, count: job.shardCount },
        stop: stop.signal,
        log: (level, message) => this.#log(`run ${job.runId} ${level}: ${message}`),
        write: () => {},
        shard: {
          runId: job.runId,
          agentId: this.agentId,
          runsSetup,
          start: async () => {
            const unstarted = await this.#claimAndAwaitStart(job, session);
            if (unstarted !== undefined) throw new Error(unstarted);
            started = true;
            return {
              startAt: session.startAt as number,
              clockOffsetMs: this.#clock?.offsetMs ?? 0,
            };
          },
          vusStart: async (setupData) => {
            // setup() ran here: control says its data, and when VUs start, to every agent.
            if (runsSetup) {
              await sendAgentMessage(
                this.#redis,
                this.#names,
                { type: 'k6-setup', ...ids, ...(setupData === undefined ? {} : { setupData }) },
                this.#signer,
                job.resultStreams,
              );
            }
            const why = await this.#awaitSignal(
              session,
              () => session.vusAt !== undefined,
              'setup-done',
            );
            if (why !== undefined) throw new Error(why);
            return { at: session.vusAt as number, setupData: session.setupData };
          },
          second: ({ rows, generator, metrics }) => {
            results.push({ type: 'intervals', ...ids, rows, generator });
            results.push({ type: 'k6-metrics', ...ids, metrics });
          },
        },
      });
      await results.drained();
      const stoppedBy =
        session.abortReason !== undefined
          ? `aborted: ${session.abortReason}`
          : stop.signal.aborted
            ? this.#stopped
              ? 'the agent stopped'
              : 'control signals lost'
            : undefined;
      const aborted = !started || stoppedBy !== undefined || endsTheRun(result.exitCode);
      await this.#finish(job, aborted, stoppedBy ?? result.reason, {
        exitCode: result.exitCode,
        metrics: result.metrics,
      });
    } catch (error) {
      await results.drained();
      await this.#finish(job, true, `k6 runner failed: ${(error as Error).message}`);
    } finally {
      clearInterval(deadMan);
    }
  }

  /**
   * A shard's results on their way to Redis, in order. Redis away: they wait in the
   * connection's queue, and past MAX_UNDELIVERED seconds of them (`perSecond` messages a
   * second) the shard stops: what it would send could not be measured.
   */
  #resultsOut(job: ShardJob, stopUnmeasured: (why: string) => void, perSecond = 1) {
    const sends = new Set<Promise<void>>();
    return {
      push: (message: AgentMessage) => {
        if (sends.size >= MAX_UNDELIVERED * perSecond) {
          stopUnmeasured(
            `results could not reach Redis for ${Math.round(sends.size / perSecond)} s; stopped unmeasured load`,
          );
        }
        const send = sendAgentMessage(
          this.#redis,
          this.#names,
          message,
          this.#signer,
          job.resultStreams,
        )
          .catch((error) => this.#log(`could not push ${message.type}: ${error.message}`))
          .finally(() => sends.delete(send));
        sends.add(send);
      },
      drained: () => Promise.all([...sends]),
    };
  }

  async #execute(
    job: ShardJob,
    scenario: Scenario,
    plan: CompiledPlan,
    startAt: number,
    control: { graceMs: number; lastHeard: () => number },
  ): Promise<void> {
    const shardModel = job.model;
    if (shardModel.kind === 'k6') throw new TypeError('a k6 shard runs its script, not flows');
    const model: FlowModel =
      shardModel.kind === 'open'
        ? {
            kind: 'open',
            profile: { startRate: shardModel.startRate, stages: shardModel.stages },
            maxInFlight: shardModel.maxInFlight,
          }
        : shardModel;
    const runner = new FlowRunner({
      plan,
      model,
      runId: job.runId,
      agentId: this.agentId,
      // startAt is control's instant: read on control's clock, not this machine's.
      startAt,
      clockOffsetMs: this.#clock?.offsetMs ?? 0,
      extraHeaders: job.extraHeaders,
    });
    this.#runner = runner;
    // A change heard before the start applies from the start.
    if (this.#rateMultiplier !== 1) this.#setRunnerRate(runner, this.#rateMultiplier);
    const results = this.#resultsOut(job, (why) => runner.stop(why));
    // Control judges guardrails on every agent's traffic merged; while it is away, each
    // agent judges them on its own, so no run goes on unguarded.
    const guardrails = new GuardrailMonitor(scenario.guardrails);
    const stepsOfFlow = Object.fromEntries(
      plan.flows.map((f) => [f.name, f.steps.map((s) => s.name)]),
    );
    runner.on('interval', (interval) => {
      const lengthMs = Math.max(interval.endMs - interval.startMs, 1);
      const trip = guardrails.observe(
        stepTableSource(interval.table, stepsOfFlow, lengthMs / 1000),
        interval.endMs,
        lengthMs,
      );
      const silentMs = Date.now() - control.lastHeard();
      if (trip && silentMs > CONTROL_AWAY_MS) {
        runner.stop(
          `guardrail: ${trip.guardrail} (value ${trip.value}), judged by agent ${this.agentId} while control was away`,
        );
      }
      const { generator } = interval;
      const busy = generator.sent + generator.late + generator.dropped > 0;
      if (interval.rows.length === 0 && !busy) return;
      results.push({
        type: 'intervals',
        runId: job.runId,
        agentId: this.agentId,
        shard: job.shard,
        rows: interval.rows,
        // How this agent kept up: control judges whether it was saturated.
        generator,
      });
    });
    // Dead-man switch: an agent that has not heard control for its grace stops sending.
    const deadMan = setInterval(() => {
      const silentMs = Date.now() - control.lastHeard();
      if (silentMs > control.graceMs) {
        runner.stop(`control signals lost for ${Math.round(silentMs / 1000)} s`);
      }
    }, 250);
    try {
      const report = await runner.run();
      await results.drained();
      await this.#finish(job, report.aborted, report.abortReason);
    } finally {
      clearInterval(deadMan);
    }
  }
}

/**
 * What the agent runs for a shard. An agent reads no files of its own machine: a feeder's
 * rows come in the job, and a feeder without them refuses the shard (FeederError).
 */
function compileShard(
  job: ShardJob,
  scenario: Scenario,
  secrets: Record<string, string>,
): CompiledPlan {
  if (job.model.kind === 'replay') return compileReplay(scenario.name, scenario.target, job.model);
  return compileScenario(scenario, { feederRows: job.feederRows, secrets });
}

/** What a shard hears from control between its claim and its end. */
interface ShardSession {
  /** control's common start (control's epoch ms), once said */
  startAt: number | undefined;
  /** a k6 run whose script has setup(): when every agent's VUs start, and setup()'s data */
  vusAt: number | undefined;
  setupData: string | undefined;
  staleStart: boolean;
  abortReason: string | undefined;
  lastHeard: number;
  /** how long the shard goes on while control is silent */
  graceMs: number;
  /** an abort heard: stops what runs */
  onAbort: () => void;
}

const JobSecrets = z.record(z.string(), z.string());

/** The environment secrets a job carries, opened with the key this agent enrolled with. */
function openJobSecrets(jobKey: Buffer, job: ShardJob): Record<string, string> {
  if (job.secrets === undefined) return {};
  let text: string;
  try {
    text = open(jobKey, job.secrets, job.runId);
  } catch {
    throw new Error(
      "the run's secrets do not open with this agent's key (enrolled with another control?)",
    );
  }
  return JobSecrets.parse(JSON.parse(text));
}
