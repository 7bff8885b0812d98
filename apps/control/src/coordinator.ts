import type {
  AgentMessage,
  ControlSignal,
  GeneratorSaturation,
  IntervalRow,
  SaturationLimits,
} from '@loadline/api';
import {
  GeneratorJudge,
  GuardrailMonitor,
  type GuardrailState,
  StepTable,
  summarizeFlows,
  type ThresholdResult,
} from '@loadline/engine';
import type { MetadataStore } from '@loadline/metadata';
import { type MetricsTarget, type TargetMetricRow, TargetScraper } from '@loadline/metrics';
import {
  type AgentVerifier,
  type ControlSigner,
  listAgents,
  publishSignal,
  type Redis,
  type RedisNames,
  type ResultsBacklog,
  type ShardQueue,
} from '@loadline/queue';
import { parseDuration } from '@loadline/scenario';
import {
  judgeGuardrails,
  type LiveRun,
  newlyLost,
  probeBreaches,
  thresholdsSoFar,
} from './live-run.js';
import { addRows, SecondWindow } from './live-table.js';
import { settleLive, storeSettlement } from './settle.js';
import { type LaunchInput, planShards, type RunTarget } from './shard-plan.js';

export {
  type LaunchInput,
  planShards,
  type RunOverrides,
  type RunTarget,
  targetOfSecond,
} from './shard-plan.js';

export interface CoordinatorOptions {
  claimTimeoutMs: number;
  /** seconds between the last claim and the common start, so every agent is ready */
  startDelayMs: number;
  /** this control's name in run leases */
  coordinatorId: string;
  log: (line: string) => void;
  /** where scraped target metrics go (the result store); scraping is off without it */
  storeTargetMetrics?: (rows: TargetMetricRow[]) => Promise<unknown>;
  /** signs the run signals agents obey */
  signer: ControlSigner;
  /** tells an enrolled agent's heartbeat from anything else in Redis */
  agents: AgentVerifier;
  /** when an agent counts as a saturated generator (its run ends invalid) */
  saturation?: SaturationLimits;
}

const LEASE_MS = 10_000;

/**
 * Drives runs through their life: enqueue shards, wait for every claim, broadcast one
 * start time, keep agents alive, watch guardrails every second, notice lost agents, and
 * settle the final status with thresholds evaluated on merged histograms.
 */
export class RunCoordinator {
  readonly #live = new Map<string, LiveRun>();
  /** ticks under way: close waits for them, so none renews a lease after it is given up */
  readonly #ticks = new Set<Promise<void>>();
  readonly #recentTargets = new Map<
    string,
    { target: RunTarget; startAt: number; durationMs: number }
  >();
  readonly #metadata: MetadataStore;
  readonly #redis: Redis;
  readonly #names: RedisNames;
  readonly #queue: ShardQueue;
  readonly #options: CoordinatorOptions;
  #storage: ResultsBacklog = { messages: 0, oldestAt: undefined };

  constructor(
    metadata: MetadataStore,
    redis: Redis,
    names: RedisNames,
    queue: ShardQueue,
    options: CoordinatorOptions,
  ) {
    this.#metadata = metadata;
    this.#redis = redis;
    this.#names = names;
    this.#queue = queue;
    this.#options = options;
  }

  get activeRuns(): string[] {
    return [...this.#live.keys()];
  }

  /** Publishes a run signal, signed: agents obey nothing else. */
  #signal(signal: ControlSignal): Promise<void> {
    return publishSignal(this.#redis, this.#names, signal, this.#options.signer);
  }

  async launch(input: LaunchInput): Promise<void> {
    const { jobs, durationMs, target } = planShards(input);
    const runId = input.run.id;
    const live: LiveRun = {
      run: input.run,
      target,
      scenario: input.scenario,
      shardCount: jobs.length,
      claims: new Map(),
      done: new Map(),
      lost: new Set(),
      phase: 'waiting',
      waitingSince: Date.now(),
      startAt: 0,
      durationMs,
      totals: new StepTable(),
      window: new SecondWindow(),
      guardrails: new GuardrailMonitor(input.scenario.guardrails),
      generators: new GeneratorJudge(this.#options.saturation),
      scraper: this.#scraperFor(runId, input.metricsTargets ?? []),
      abortReason: undefined,
      ticking: false,
      timer: setInterval(() => {
        // One tick at a time per run: a slow one (a big fleet, a slow Redis) is not piled on.
        if (live.ticking) return;
        live.ticking = true;
        const tick = this.#tick(runId)
          .catch((error) => this.#options.log(`run ${runId}: ${error.stack ?? error}`))
          .finally(() => {
            live.ticking = false;
            this.#ticks.delete(tick);
          });
        this.#ticks.add(tick);
      }, 1000),
    };
    this.#live.set(runId, live);
    // The lease says which control coordinates the run; renewed every tick, so a run whose
    // control died shows up in listOrphanedRuns for the next one to settle.
    await this.#metadata.acquireRunLease({
      runId,
      coordinator: this.#options.coordinatorId,
      ttlMs: LEASE_MS,
    });
    await this.#metadata.transitionRun(runId, ['queued'], 'waiting-for-agents', {});
    await this.#queue.enqueue(jobs);
    await this.#signal({ type: 'keepalive', runId, at: Date.now() });
  }

  #scraperFor(runId: string, targets: MetricsTarget[]): TargetScraper | undefined {
    const store = this.#options.storeTargetMetrics;
    if (!store || targets.length === 0) return undefined;
    return new TargetScraper(runId, targets, {
      onRows: async (rows) => {
        await store(rows).catch((error) =>
          this.#options.log(`run ${runId}: storing target metrics: ${error.message ?? error}`),
        );
        await this.#probe(runId, rows).catch((error: Error) =>
          this.#options.log(`run ${runId}: capacity probe: ${error.message}`),
        );
      },
      onFailure: (target, reason) => {
        // A probed service too busy to answer its /metrics has broken its SLO as surely.
        const probe = this.#live.get(runId)?.scenario.capacityProbe;
        if (probe?.service !== target.service) return;
        this.#probeBreach(runId, [`${target.url} did not answer (${reason}): overloaded`]).catch(
          (error: Error) => this.#options.log(`run ${runId}: capacity probe: ${error.message}`),
        );
      },
      log: this.#options.log,
    });
  }

  /**
   * A capacity probe ends its run once the probed service's SLO has held broken for `for`:
   * the ramp found the load the instance cannot carry, which is what the run was for.
   */
  async #probe(runId: string, rows: TargetMetricRow[]): Promise<void> {
    const live = this.#live.get(runId);
    const probe = live?.scenario.capacityProbe;
    if (!live || !probe || live.phase !== 'running') return;
    if (!rows.some((r) => r.service === probe.service)) return;
    const breaches = probeBreaches(probe, rows);
    if (breaches.length === 0) {
      live.probeBreachSince = undefined;
      return;
    }
    await this.#probeBreach(runId, breaches);
  }

  async #probeBreach(runId: string, breaches: string[]): Promise<void> {
    const live = this.#live.get(runId);
    const probe = live?.scenario.capacityProbe;
    if (!live || !probe || live.phase !== 'running') return;
    live.probeBreachSince ??= Date.now() - 1000;
    const heldMs = Date.now() - live.probeBreachSince;
    if (heldMs >= (parseDuration(probe.for) ?? 0)) {
      await this.stop(runId, `capacity probe: ${probe.service} SLO crossed: ${breaches[0]}`);
    }
  }

  /**
   * A run no control coordinates any more (its control died): agents holding its shards are
   * told to stop now, rather than when their dead-man switch fires, and shards nobody has
   * claimed are taken back, so no agent starts one later.
   */
  async abandon(runId: string, shardCount: number, reason: string): Promise<void> {
    await this.#queue.removeUnclaimed(runId, shardCount);
    await this.#signal({ type: 'abort', runId, reason });
  }

  async stop(runId: string, reason: string): Promise<boolean> {
    const live = this.#live.get(runId);
    if (!live) return false;
    live.abortReason ??= reason;
    await this.#signal({ type: 'abort', runId, reason });
    if (live.phase === 'waiting') await this.#settle(live);
    return true;
  }

  /** How far storing results is behind (read from Redis every second), for the live views. */
  noteStorage(backlog: ResultsBacklog): void {
    this.#storage = backlog;
  }

  /** Rows already stored by ingest: fold them into the live view. */
  onRows(rows: readonly IntervalRow[]): void {
    for (const row of rows) {
      const live = this.#live.get(row.runId);
      if (!live) continue;
      addRows(live.totals, [row]);
      live.window.add([row]);
    }
  }

  async onMessage(message: AgentMessage): Promise<void> {
    if (message.type === 'heartbeat') return;
    const live = this.#live.get(message.runId);
    if (!live) return;
    if (message.type === 'intervals') {
      // Its rows went through onRows; what is left is how the agent kept up.
      if (message.generator) live.generators.observe(message.agentId, message.generator);
    } else if (message.type === 'claimed') {
      // One claim per shard, before the start: a second agent with the same shard (a job
      // handed out again) or a claim after the start is not counted.
      if (live.phase !== 'waiting' || live.claims.has(message.shard)) {
        this.#options.log(
          `run ${message.runId}: ignored a claim of shard ${message.shard} by ${message.agentId}`,
        );
        return;
      }
      live.claims.set(message.shard, message.agentId);
      if (live.phase === 'waiting' && live.claims.size === live.shardCount) {
        live.phase = 'running';
        // Mid-second: agents key intervals by the epoch second each starts in, and a start at
        // .5 keeps every agent's key (and control's) the same despite timer jitter.
        live.startAt = Math.ceil((Date.now() + this.#options.startDelayMs) / 1000) * 1000 + 500;
        // From the common start (the baseline reading a second before the first load).
        const scraper = live.scraper;
        if (scraper)
          setTimeout(
            () => live.phase === 'running' && scraper.start(live.startAt),
            this.#options.startDelayMs - 1000,
          );
        await this.#metadata.transitionRun(live.run.id, ['waiting-for-agents'], 'running', {});
        await this.#signal({
          type: 'start',
          runId: live.run.id,
          startAt: live.startAt,
        });
      }
    } else if (message.type === 'shard-done') {
      // Only its claimant ends a claimed shard (an agent that refused it unclaimed may too).
      const claimant = live.claims.get(message.shard);
      if (claimant !== undefined && claimant !== message.agentId) return;
      live.done.set(message.shard, {
        aborted: message.aborted,
        ...(message.reason ? { reason: message.reason } : {}),
      });
      if (live.done.size + live.lost.size >= live.shardCount) await this.#settle(live);
    }
  }

  async #tick(runId: string): Promise<void> {
    const live = this.#live.get(runId);
    if (!live || live.phase === 'finishing') return;
    await this.#signal({ type: 'keepalive', runId, at: Date.now() });
    await this.#metadata.acquireRunLease({
      runId,
      coordinator: this.#options.coordinatorId,
      ttlMs: LEASE_MS,
    });
    if (live.phase === 'waiting') {
      if (Date.now() - live.waitingSince > this.#options.claimTimeoutMs) {
        const have = live.claims.size;
        live.abortReason = `asked for ${live.shardCount} agent(s), ${have} claimed a shard within ${Math.round(this.#options.claimTimeoutMs / 1000)} s; start more with \`loadline agent --redis URL\` or \`loadline up --agents ${live.shardCount}\``;
        await this.#queue.removeUnclaimed(runId, live.shardCount);
        await this.#signal({
          type: 'abort',
          runId,
          reason: 'not enough agents',
        });
        await this.#settle(live, 'error');
      }
      return;
    }
    const trip = judgeGuardrails(live, Date.now());
    if (trip !== undefined && live.abortReason === undefined) {
      live.abortReason = trip;
      this.#options.log(`run ${runId}: ${live.abortReason}; aborting`);
      await this.#signal({ type: 'abort', runId, reason: trip });
    }
    // An agent whose heartbeat expired mid-shard is lost: the run goes on without it.
    const heartbeats = await listAgents(this.#redis, this.#names, this.#options.agents);
    const alive = new Set(heartbeats.map((a) => a.agentId));
    for (const [shard, agentId] of newlyLost(live, alive)) {
      live.lost.add(shard);
      this.#options.log(
        `run ${runId}: agent ${agentId} lost (shard ${shard}); the run is degraded`,
      );
    }
    if (live.done.size + live.lost.size >= live.shardCount) await this.#settle(live);
  }

  async #settle(live: LiveRun, forced?: 'error'): Promise<void> {
    if (live.phase === 'finishing') return;
    live.phase = 'finishing';
    clearInterval(live.timer);
    live.scraper
      ?.stop()
      .catch((error: Error) => this.#options.log(`run ${live.run.id}: ${error.message}`));
    this.#live.delete(live.run.id);
    if (live.startAt > 0) this.#rememberTarget(live);
    const settlement = settleLive(live, Date.now(), forced);
    await storeSettlement(this.#metadata, live.run.id, settlement);
    this.#options.log(`run ${live.run.id}: ${settlement.status}`);
  }

  /**
   * What a live view shows each second: the phase, claims, and the merged totals so far
   * per step (counts and latency percentiles from exact merges), or undefined when the
   * run is not active in this control.
   */
  liveSnapshot(runId: string):
    | {
        phase: 'waiting' | 'running' | 'finishing';
        agents: { requested: number; claimed: number; done: number; lost: number };
        startAt: number;
        durationMs: number;
        target: RunTarget;
        guardrails: GuardrailState[];
        saturated: GeneratorSaturation[];
        storage: { backlog: number; behindS: number };
        summary: ReturnType<typeof summarizeFlows>;
      }
    | undefined {
    const live = this.#live.get(runId);
    if (!live) return undefined;
    return {
      phase: live.phase,
      agents: {
        requested: live.shardCount,
        claimed: live.claims.size,
        done: live.done.size,
        lost: live.lost.size,
      },
      startAt: live.startAt,
      durationMs: live.durationMs,
      target: live.target,
      guardrails: live.guardrails.state(Date.now()),
      saturated: live.generators.check({ agents: live.shardCount }).saturated,
      storage: {
        backlog: this.#storage.messages,
        behindS:
          this.#storage.oldestAt === undefined
            ? 0
            : Math.max(0, Math.round((Date.now() - this.#storage.oldestAt) / 100) / 10),
      },
      summary: summarizeFlows(
        live.totals,
        live.scenario.flows.flatMap((f) => f.steps.map((s) => s.name)),
      ),
    };
  }

  /**
   * What a run asked for each second, while it runs and for a while after (the last live
   * events of a run that just ended still draw its target), or undefined.
   */
  targetOf(runId: string): { target: RunTarget; startAt: number; durationMs: number } | undefined {
    const live = this.#live.get(runId);
    if (live && live.startAt > 0) {
      return { target: live.target, startAt: live.startAt, durationMs: live.durationMs };
    }
    return this.#recentTargets.get(runId);
  }

  #rememberTarget(live: LiveRun): void {
    this.#recentTargets.set(live.run.id, {
      target: live.target,
      startAt: live.startAt,
      durationMs: live.durationMs,
    });
    // Bounded: only runs that ended recently are still being watched live.
    for (const key of this.#recentTargets.keys()) {
      if (this.#recentTargets.size <= 100) break;
      this.#recentTargets.delete(key);
    }
  }

  /** Thresholds on what has been merged so far (for live views), or undefined when not active. */
  liveThresholds(runId: string): ThresholdResult[] | undefined {
    const live = this.#live.get(runId);
    if (live?.phase !== 'running') return undefined;
    return thresholdsSoFar(live, Date.now());
  }

  /**
   * Shutting down: stop coordinating and give the leases up, so the next control settles
   * these runs at once from what was stored (agents stop within seconds on their own).
   */
  async close(): Promise<void> {
    for (const live of this.#live.values()) clearInterval(live.timer);
    // Bounded: a tick stuck on an unreachable Redis does not hold the shutdown.
    await Promise.race([
      Promise.all([...this.#ticks]),
      new Promise((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
    for (const live of this.#live.values()) {
      await live.scraper?.stop();
      await this.#metadata
        .releaseRunLease(live.run.id, this.#options.coordinatorId)
        .catch(() => false);
    }
    this.#live.clear();
  }
}
