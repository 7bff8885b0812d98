import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type ControlSignal, hostMatcher, type ShardJob } from '@loadline/api';
import { compileReplay, compileScenario, type FlowModel, FlowRunner } from '@loadline/engine';
import type { Redis } from '@loadline/queue';
import {
  connectRedis,
  DEFAULT_REDIS_URL,
  RedisNames,
  removeAgent,
  ShardWorker,
  SignalSubscription,
  sendAgentMessage,
  writeHeartbeat,
} from '@loadline/queue';
import { Scenario } from '@loadline/scenario';

const VERSION = '0.1.0';

export interface AgentOptions {
  redisUrl?: string;
  namespace?: string;
  agentId?: string;
  /** stop sending when control has been silent this long (dead-man switch) */
  deadManMs?: number;
  heartbeatMs?: number;
  log?: (line: string) => void;
}

/**
 * A load-generator agent. It holds nothing that matters after it dies: a shard's data is
 * what it already pushed. It runs one shard at a time, starts when control says so, and
 * stops on abort — or by itself when control goes quiet.
 */
export class Agent {
  readonly agentId: string;
  readonly #redis: Redis;
  readonly #names: RedisNames;
  readonly #deadManMs: number;
  readonly #log: (line: string) => void;
  readonly #loopDelay = monitorEventLoopDelay({ resolution: 10 });
  #worker: ShardWorker | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #runner: FlowRunner | undefined;
  #runId: string | null = null;
  #stopped = false;

  private constructor(options: AgentOptions) {
    this.agentId =
      options.agentId ?? `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
    this.#redis = connectRedis(options.redisUrl ?? DEFAULT_REDIS_URL);
    this.#redis.on('error', (error) => this.#log(`redis: ${error.message}`));
    this.#names = new RedisNames(options.namespace);
    this.#deadManMs = options.deadManMs ?? 5000;
    this.#log = options.log ?? (() => {});
  }

  static async start(options: AgentOptions = {}): Promise<Agent> {
    const agent = new Agent(options);
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

  async #beat(): Promise<void> {
    await writeHeartbeat(this.#redis, this.#names, {
      type: 'heartbeat',
      agentId: this.agentId,
      host: hostname(),
      pid: process.pid,
      version: VERSION,
      runId: this.#runId,
      at: Date.now(),
      eventLoopDelayP99Ms: this.#loopDelay.percentile(99) / 1e6,
    });
    this.#loopDelay.reset();
  }

  async #finish(job: ShardJob, aborted: boolean, reason?: string): Promise<void> {
    await sendAgentMessage(this.#redis, this.#names, {
      type: 'shard-done',
      runId: job.runId,
      agentId: this.agentId,
      shard: job.shard,
      aborted,
      ...(reason === undefined ? {} : { reason }),
    });
  }

  async #runShard(job: ShardJob): Promise<void> {
    const parsed = Scenario.safeParse(job.scenario);
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
    this.#runId = job.runId;
    let startAt: number | undefined;
    let abortReason: string | undefined;
    let lastHeard = Date.now();
    const onSignal = (signal: ControlSignal) => {
      lastHeard = Date.now();
      if (signal.type === 'start') startAt = signal.startAt;
      else if (signal.type === 'abort') {
        abortReason = signal.reason;
        this.#runner?.stop(`aborted: ${signal.reason}`);
      }
    };
    const subscription = await SignalSubscription.open(
      this.#redis,
      this.#names,
      job.runId,
      onSignal,
      (line) => this.#log(line),
    );
    try {
      await sendAgentMessage(this.#redis, this.#names, {
        type: 'claimed',
        runId: job.runId,
        agentId: this.agentId,
        shard: job.shard,
      });
      while (startAt === undefined && abortReason === undefined) {
        if (Date.now() - lastHeard > this.#deadManMs || this.#stopped) {
          await this.#finish(job, true, 'no start signal from control');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (abortReason !== undefined) {
        await this.#finish(job, true, `aborted: ${abortReason}`);
        return;
      }
      await this.#execute(job, scenario, startAt as number, () => lastHeard);
    } finally {
      await subscription.close();
      this.#runId = null;
      this.#runner = undefined;
    }
  }

  async #execute(
    job: ShardJob,
    scenario: Scenario,
    startAt: number,
    lastHeard: () => number,
  ): Promise<void> {
    const plan =
      job.model.kind === 'replay'
        ? compileReplay(scenario.name, scenario.target, job.model)
        : compileScenario(scenario, { baseDir: process.cwd(), feederRows: job.feederRows });
    const model: FlowModel =
      job.model.kind === 'open'
        ? {
            kind: 'open',
            profile: { startRate: job.model.startRate, stages: job.model.stages },
            maxInFlight: job.model.maxInFlight,
          }
        : job.model;
    const runner = new FlowRunner({
      plan,
      model,
      runId: job.runId,
      agentId: this.agentId,
      startAt,
      extraHeaders: job.extraHeaders,
    });
    this.#runner = runner;
    const sends: Array<Promise<void>> = [];
    runner.on('interval', (interval) => {
      if (interval.rows.length === 0) return;
      sends.push(
        sendAgentMessage(this.#redis, this.#names, {
          type: 'intervals',
          runId: job.runId,
          agentId: this.agentId,
          shard: job.shard,
          rows: interval.rows,
        }).catch((error) => this.#log(`could not push interval: ${error.message}`)),
      );
    });
    // Dead-man switch: an agent that stops hearing control stops sending.
    const deadMan = setInterval(() => {
      if (Date.now() - lastHeard() > this.#deadManMs) runner.stop('control signals lost');
    }, 250);
    try {
      const report = await runner.run();
      await Promise.all(sends);
      await this.#finish(job, report.aborted, report.abortReason);
    } finally {
      clearInterval(deadMan);
    }
  }
}
