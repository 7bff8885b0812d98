import {
  type AgentMessage,
  type ControlSignal,
  type GeneratorSaturation,
  type IntervalRow,
  K6Metrics,
  type SaturationLimits,
} from '@loadline/api';
import { MetricsTarget as MetricsTargetSchema } from '@loadline/api/http';
import {
  GeneratorJudge,
  GuardrailMonitor,
  type GuardrailState,
  StepTable,
  summarizeFlows,
  type ThresholdResult,
} from '@loadline/engine';
import { endsTheRun } from '@loadline/k6';
import type { Coordination, MetadataStore, Run, ShardProgress } from '@loadline/metadata';
import { type MetricsTarget, type TargetMetricRow, TargetScraper } from '@loadline/metrics';
import {
  type AgentVerifier,
  type ControlSigner,
  deleteRunScript,
  listAgents,
  publishSignal,
  putRunScript,
  type Redis,
  type RedisNames,
  type ResultsBacklog,
  type ShardQueue,
} from '@loadline/queue';
import { parseDuration, Scenario } from '@loadline/scenario';
import { z } from 'zod';
import { type PreparedRows, prepareRows } from './ingest-decode.js';
import { judgeK6, k6ThresholdsSoFar, liveK6Of } from './k6-run.js';
import {
  judgeGuardrails,
  type LiveRun,
  newlyLost,
  probeBreaches,
  thresholdsSoFar,
  workingShards,
} from './live-run.js';
import { LiveSeries, type LiveSeriesWindow } from './live-series.js';
import { addLiveRows, addUnpreparedRows, SecondWindow } from './live-table.js';
import { settleLive, storeSettlement } from './settle.js';
import {
  type LaunchInput,
  peakRate,
  planShards,
  type RateStep,
  RunTarget,
  rateCapProblem,
} from './shard-plan.js';

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
  /** a run's interval rows as stored so far: a run taken over rebuilds its totals from them */
  storedRows: (runId: string) => AsyncIterable<readonly IntervalRow[]>;
}

const LEASE_MS = 10_000;
/** A k6 run's script outlives its planned length by this much in Redis (a takeover, a late end). */
const SCRIPT_SLACK_S = 3600;
/** How often a run's per-shard progress is written. */
const PROGRESS_EVERY_MS = 5000;
/** How long one listing of the live agents serves every run's tick. */
const ALIVE_FRESH_MS = 900;

/**
 * A live rate change takes effect this long after control decides it: every agent hears it
 * first and switches at the same instant of control's clock.
 */
const RATE_CHANGE_LEAD_MS = 250;

/** What a run asks for each second: its target, start, length and live rate changes. */
export interface PlannedTarget {
  target: RunTarget;
  startAt: number;
  durationMs: number;
  rateChanges: readonly RateStep[];
}

/**
 * What the coordinator plans for a run and writes with it (run_coordination.plan): with the
 * run's shards and start, what any control needs to go on coordinating it.
 */
export const CoordinationPlan = z.object({
  target: RunTarget,
  durationMs: z.number().positive(),
  shardCount: z.number().int().positive(),
  /** the scenario as the agents run it (overrides applied) */
  scenario: z.record(z.string(), z.unknown()),
  metricsTargets: z.array(MetricsTargetSchema).default([]),
});
export type CoordinationPlan = z.infer<typeof CoordinationPlan>;

/**
 * A run taken over: stored rows this recent are remembered by key, and skipped should they
 * come again within the window (a dead control stored them but never acknowledged them).
 */
const RECENT_ROWS_S = 300;
const REDELIVERY_WINDOW_MS = 60_000;

/** Why a live rate change was refused: the HTTP status it answers with, and the reason. */
export class RateChangeError extends Error {
  constructor(
    readonly status: 409 | 422,
    message: string,
  ) {
    super(message);
    this.name = 'RateChangeError';
  }
}

/** An interval row's identity in the store (a row delivered twice is stored once). */
const rowKey = (row: IntervalRow) =>
  `${row.agentId}\u0000${row.step}\u0000${row.statusClass}\u0000${row.second}`;

/**
 * Drives runs through their life: enqueue shards, wait for every claim, broadcast one
 * start time, keep agents alive, watch guardrails every second, notice lost agents, and
 * settle the final status with thresholds evaluated on merged histograms.
 */
export class RunCoordinator {
  readonly #live = new Map<string, LiveRun>();
  /** ticks under way: close waits for them, so none renews a lease after it is given up */
  readonly #ticks = new Set<Promise<void>>();
  readonly #recentTargets = new Map<string, PlannedTarget>();
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
    const { jobs, durationMs, target, script } = planShards(input);
    const runId = input.run.id;
    const plan: CoordinationPlan = {
      target,
      durationMs,
      shardCount: jobs.length,
      scenario: input.scenario as unknown as Record<string, unknown>,
      metricsTargets: input.metricsTargets ?? [],
    };
    this.#track(input.run, input.scenario, plan, { waitingSince: Date.now() });
    // The lease says which control coordinates the run; renewed every tick, so a run whose
    // control died shows up in listOrphanedRuns for the next one to take over.
    await this.#metadata.acquireRunLease({
      runId,
      coordinator: this.#options.coordinatorId,
      ttlMs: LEASE_MS,
    });
    // Written before any agent can claim: claims, the start and shard ends are written
    // against it, so another control can go on from here.
    await this.#metadata.beginCoordination(runId, JSON.parse(JSON.stringify(plan)));
    await this.#metadata.transitionRun(runId, ['queued'], 'waiting-for-agents', {});
    if (script) {
      // Kept while the run may last (claims, setup, its scenarios, their graceful stops).
      const ttlS = (this.#options.claimTimeoutMs + durationMs) / 1000 + SCRIPT_SLACK_S;
      await putRunScript(this.#redis, this.#names, runId, script.text, ttlS);
    }
    await this.#queue.enqueue(jobs);
    await this.#signal({ type: 'keepalive', runId, at: Date.now() });
  }

  /**
   * Goes on coordinating a run another control began (it died, restarted or stopped), from
   * what was written: its plan, claims, start, shard ends and stop, and its totals rebuilt
   * from the stored rows. The caller holds the run's lease. False when nothing was written
   * to go on from (the run never began waiting for agents).
   */
  async adopt(run: Run): Promise<boolean> {
    if (this.#live.has(run.id)) return true;
    const coordination = await this.#metadata.getCoordination(run.id);
    if (!coordination || run.status === 'queued') return false;
    const plan = CoordinationPlan.parse(coordination.plan);
    const live = this.#track(run, Scenario.parse(plan.scenario), plan, {
      waitingSince: coordination.waitingSince.getTime(),
    });
    try {
      await this.#rebuild(live, coordination);
    } catch (error) {
      this.#forget(live);
      throw error;
    }
    return true;
  }

  async #rebuild(live: LiveRun, coordination: Coordination): Promise<void> {
    const { run } = live;
    restoreShards(live, coordination);
    live.rateMultiplier = coordination.rateMultiplier;
    live.rateChanges = await this.#metadata.listRateChanges(run.id);
    // Rows stored meanwhile arrive through onRows while the stored ones are read: they wait
    // here, and only those the read did not see are added (a row's identity is its key).
    // Rows the dead control stored but never acknowledged come again too (taken over from
    // its pending entries): the keys of the last minutes stay known for a while to skip them.
    live.rebuilding = [];
    const seen = new Set<string>();
    const recentFrom = Math.floor(Date.now() / 1000) - RECENT_ROWS_S;
    try {
      for await (const rows of this.#options.storedRows(run.id)) {
        addUnpreparedRows(live.totals, undefined, rows, live.series);
        for (const row of rows) if (row.second >= recentFrom) seen.add(rowKey(row));
      }
    } finally {
      const late = live.rebuilding.filter((row) => !seen.has(rowKey(row)));
      live.rebuilding = undefined;
      live.storedBefore = { keys: seen, until: Date.now() + REDELIVERY_WINDOW_MS };
      this.onRows(prepareRows(late));
    }
    this.#options.log(
      `run ${run.id}: taken over ${live.phase === 'waiting' ? 'waiting for agents' : 'running'} (${live.claims.size}/${live.shardCount} claimed, ${live.done.size} done, ${live.lost.size} lost)`,
    );
    if (live.phase === 'running' && run.status === 'waiting-for-agents') {
      // Its control wrote the start and died before saying it: say it now.
      await this.#announceStart(live);
    }
    if (live.abortReason !== undefined) {
      await this.#signal({ type: 'abort', runId: run.id, reason: live.abortReason });
    } else if (live.phase === 'running') {
      live.scraper?.start(Date.now());
      // An agent may still wait for the k6 setup's word (the dead control never said it).
      if (live.k6?.setup) await this.#sayK6Setup(live);
      await this.#signal({
        type: 'keepalive',
        runId: run.id,
        at: Date.now(),
        rateMultiplier: live.rateMultiplier,
      });
    }
    if (live.phase === 'waiting' && live.claims.size === live.shardCount) await this.#begin(live);
    if (live.done.size + live.lost.size >= live.shardCount) await this.#settle(live);
  }

  /** Holds a run in memory and ticks it every second. */
  #track(
    run: Run,
    scenario: Scenario,
    plan: CoordinationPlan,
    { waitingSince }: { waitingSince: number },
  ): LiveRun {
    const runId = run.id;
    const live: LiveRun = {
      run,
      target: plan.target,
      scenario,
      shardCount: plan.shardCount,
      claims: new Map(),
      done: new Map(),
      lost: new Set(),
      progress: new Map(),
      phase: 'waiting',
      waitingSince,
      startAt: 0,
      durationMs: plan.durationMs,
      rateMultiplier: 1,
      rateChanges: [],
      totals: new StepTable(),
      window: new SecondWindow(),
      series: new LiveSeries(),
      guardrails: new GuardrailMonitor(scenario.guardrails),
      generators: new GeneratorJudge(this.#options.saturation),
      scraper: this.#scraperFor(runId, plan.metricsTargets),
      abortReason: undefined,
      ticking: false,
      progressWrittenAt: 0,
      k6: liveK6Of(scenario),
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
    return live;
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
    // The first stage is a warm-up (cold caches, connections, JIT): a breach in it never
    // ends the ramp, or one cold second stops a probe after seventy requests.
    const warmUpMs = parseDuration(live.scenario.load?.stages?.[0]?.duration ?? '0s') ?? 0;
    const breaches = Date.now() < live.startAt + warmUpMs ? [] : probeBreaches(probe, rows);
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

  /**
   * Stops a run: every agent hears it within a second, and the reason is written first, so a
   * control that takes the run over stops it too. A run no control holds right now (its
   * control is away) is stopped the same way: its agents obey the signal in Redis. False
   * when the run is not active.
   */
  /**
   * A running (or waiting) open-model run goes at its profile × `rateMultiplier` from a
   * quarter second from now on, on every agent: written (the multiplier and the timeline),
   * then said to every agent, and repeated in every keepalive. Throws RateChangeError when
   * the run cannot take it (not coordinated here, not an open model, over the cap).
   */
  async setRate(
    runId: string,
    rateMultiplier: number,
    changedBy: string,
    maxRate: number | null,
  ): Promise<{ atMs: number; peakRate: number }> {
    const live = this.#live.get(runId);
    if (!live || live.phase === 'finishing' || live.abortReason !== undefined) {
      throw new RateChangeError(409, `run ${runId} is not running`);
    }
    if (live.target.kind !== 'open' || live.scenario.replay) {
      throw new RateChangeError(
        422,
        live.scenario.replay
          ? 'a replay goes at its corpus’s pace: change its speed with a new launch (--rate-multiplier)'
          : 'a closed-model run (VUs) has no arrival rate to change',
      );
    }
    const capped = rateCapProblem(
      { name: live.run.environment, maxRate },
      live.target,
      rateMultiplier,
    );
    if (capped) throw new RateChangeError(422, capped);
    const atMs = Math.max(Date.now() + RATE_CHANGE_LEAD_MS, live.startAt);
    if (!(await this.#metadata.recordRateChange({ runId, atMs, rateMultiplier, changedBy }))) {
      throw new RateChangeError(409, `run ${runId} is not running`);
    }
    live.rateMultiplier = rateMultiplier;
    live.rateChanges = [...live.rateChanges, { atMs, rateMultiplier }];
    await this.#signal({ type: 'rate', runId, rateMultiplier, at: atMs });
    this.#options.log(
      `run ${runId}: rate ×${rateMultiplier} from ${new Date(atMs).toISOString()} (${changedBy})`,
    );
    return { atMs, peakRate: peakRate(live.target, rateMultiplier) };
  }

  async stop(runId: string, reason: string): Promise<boolean> {
    const live = this.#live.get(runId);
    if (!live) {
      const run = await this.#metadata.getRun(runId);
      if (!['waiting-for-agents', 'running'].includes(run.status)) return false;
      if ((await this.#metadata.getCoordination(runId)) === null) return false;
      const standing = await this.#metadata.recordStop(runId, reason);
      await this.#signal({ type: 'abort', runId, reason: standing });
      return true;
    }
    await this.#decideStop(live, reason);
    if (live.phase === 'waiting') await this.#settle(live);
    return true;
  }

  /** The run stops for `reason` (unless it stops already): written, then said to every agent. */
  async #decideStop(live: LiveRun, reason: string): Promise<void> {
    if (live.abortReason !== undefined) return;
    live.abortReason = reason;
    live.abortReason = await this.#metadata.recordStop(live.run.id, reason);
    await this.#signal({ type: 'abort', runId: live.run.id, reason: live.abortReason });
  }

  /** How far storing results is behind (read from Redis every second), for the live views. */
  noteStorage(backlog: ResultsBacklog): void {
    this.#storage = backlog;
  }

  /** Rows already stored by ingest (prepared per run): fold them into the live view. */
  onRows(prepared: readonly PreparedRows[]): void {
    for (let part of prepared) {
      const live = this.#live.get(part.runId);
      if (!live) continue;
      if (live.rebuilding) {
        for (const row of part.rows) live.rebuilding.push(row);
        continue;
      }
      const storedBefore = live.storedBefore?.keys;
      if (storedBefore && part.rows.some((row) => storedBefore.has(rowKey(row)))) {
        // Taken over a moment ago: some rows came again (its dead control stored them).
        const fresh = part.rows.filter((row) => !storedBefore.has(rowKey(row)));
        const [again] = prepareRows(fresh);
        if (!again) continue;
        part = again;
      }
      for (const row of part.rows) noteProgress(live, row);
      addLiveRows(live.totals, live.window, part, live.series);
    }
  }

  /**
   * An agent's claim or shard end, written first (whichever control reads it: the one that
   * coordinates the run, or another before it takes the run over), then counted.
   */
  async onMessage(message: AgentMessage): Promise<void> {
    if (message.type === 'heartbeat') return;
    if (message.type === 'intervals') {
      // Its rows went through onRows; what is left is how the agent kept up.
      const live = this.#live.get(message.runId);
      if (live && message.generator) live.generators.observe(message.agentId, message.generator);
      return;
    }
    if (message.type === 'k6-setup') {
      // setup() ran on the shard's agent from the start: every agent's VUs start together.
      const live = this.#live.get(message.runId);
      if (live?.phase !== 'running' || !live.k6 || live.k6.setup) return;
      if (message.shard !== 0 || live.claims.get(0) !== message.agentId) return;
      // Written first: a control that takes the run over says the same instant and data.
      live.k6.setup = await this.#metadata.recordK6Setup(message.runId, {
        at: Math.ceil((Date.now() + this.#options.startDelayMs) / 1000) * 1000 + 500,
        ...(message.setupData === undefined ? {} : { data: message.setupData }),
      });
      await this.#sayK6Setup(live);
      return;
    }
    if (message.type === 'k6-metrics') {
      // Only the agent that holds the shard speaks for it.
      const live = this.#live.get(message.runId);
      if (live?.k6 && live.claims.get(message.shard) === message.agentId) {
        live.k6.metrics.set(message.agentId, message.metrics);
      }
      return;
    }
    const { runId, agentId, shard } = message;
    if (message.type === 'claimed') {
      // One claim per shard, before the start (the rule is claimRunShard's): a second agent
      // with the same shard (a job handed out again) or a claim after the start is refused.
      const claim = {
        runId,
        shardIndex: shard,
        agentId,
        ...(message.clockOffsetMs === undefined ? {} : { clockOffsetMs: message.clockOffsetMs }),
      };
      if (!(await this.#metadata.claimRunShard(claim))) {
        this.#options.log(`run ${runId}: refused a claim of shard ${shard} by ${agentId}`);
        return;
      }
      const live = this.#live.get(runId);
      if (live?.phase !== 'waiting') return;
      live.claims.set(shard, agentId);
      if (live.claims.size === live.shardCount) await this.#begin(live);
    } else if (message.type === 'shard-done') {
      // Only its claimant ends a claimed shard (an agent that refused it unclaimed may too).
      const ended = await this.#metadata.endShard({
        runId,
        shardIndex: shard,
        agentId,
        aborted: message.aborted,
        ...(message.reason ? { reason: message.reason } : {}),
        // A k6 shard's end and final metrics: whichever control settles the run has them.
        ...(message.k6ExitCode === undefined ? {} : { k6ExitCode: message.k6ExitCode }),
        ...(message.k6Metrics === undefined ? {} : { k6Metrics: message.k6Metrics }),
      });
      const live = this.#live.get(runId);
      if (!ended || !live) return;
      live.done.set(shard, {
        aborted: message.aborted,
        ...(message.reason ? { reason: message.reason } : {}),
      });
      if (live.k6 && message.k6Metrics) live.k6.metrics.set(agentId, message.k6Metrics);
      if (live.k6 && message.k6ExitCode !== undefined) {
        const ending = {
          exitCode: message.k6ExitCode,
          ...(message.reason ? { reason: message.reason } : {}),
        };
        live.k6.endings.set(shard, ending);
        // exec.test.abort(), or a script error in init/setup on one agent, ends the run on all.
        if (live.phase === 'running' && endsTheRun(ending.exitCode)) {
          await this.#decideStop(
            live,
            `agent ${agentId}: ${message.reason ?? 'the script ended the run'}`,
          );
        }
      }
      if (live.phase === 'waiting') {
        // An agent gave its shard up before the start (it stopped, or heard nothing for its
        // grace): the run cannot start as planned.
        await this.#fail(
          live,
          `agent ${agentId} gave up shard ${shard} before the run started${message.reason ? ` (${message.reason})` : ''}; launch it again`,
        );
      } else if (live.done.size + live.lost.size >= live.shardCount) await this.#settle(live);
    }
  }

  /** Every shard is claimed: one common start, written, then said to every agent. */
  async #begin(live: LiveRun): Promise<void> {
    live.phase = 'running';
    // Mid-second: agents key intervals by the epoch second each starts in, and a start at
    // .5 keeps every agent's key (and control's) the same despite timer jitter.
    const startAt = Math.ceil((Date.now() + this.#options.startDelayMs) / 1000) * 1000 + 500;
    live.startAt = await this.#metadata.recordStart(live.run.id, startAt);
    // From the common start (the baseline reading a second before the first load).
    const scraper = live.scraper;
    if (scraper)
      setTimeout(
        () => live.phase === 'running' && scraper.start(live.startAt),
        Math.max(0, live.startAt - Date.now() - 1000),
      );
    await this.#announceStart(live);
  }

  async #announceStart(live: LiveRun): Promise<void> {
    await this.#metadata.transitionRun(live.run.id, ['waiting-for-agents'], 'running', {});
    await this.#signal({ type: 'start', runId: live.run.id, startAt: live.startAt });
  }

  /** Says when a k6 run's VUs start, with setup()'s data (again each tick until then). */
  async #sayK6Setup(live: LiveRun): Promise<void> {
    const setup = live.k6?.setup;
    if (!setup) return;
    await this.#signal({
      type: 'setup-done',
      runId: live.run.id,
      at: setup.at,
      ...(setup.data === undefined ? {} : { setupData: setup.data }),
    });
  }

  async #tick(runId: string): Promise<void> {
    const live = this.#live.get(runId);
    if (!live || live.phase === 'finishing') return;
    const held = await this.#metadata.acquireRunLease({
      runId,
      coordinator: this.#options.coordinatorId,
      ttlMs: LEASE_MS,
    });
    if (!held) {
      // Another control took it (this one was cut off past its lease): it coordinates now.
      this.#options.log(`run ${runId}: another control coordinates it now; letting go`);
      this.#forget(live);
      return;
    }
    await this.#signal({
      type: 'keepalive',
      runId,
      at: Date.now(),
      rateMultiplier: live.rateMultiplier,
    });
    if (live.storedBefore && Date.now() > live.storedBefore.until) live.storedBefore = undefined;
    if (live.phase === 'waiting') {
      if (Date.now() - live.waitingSince > this.#options.claimTimeoutMs) {
        await this.#fail(
          live,
          `asked for ${live.shardCount} agent(s), ${live.claims.size} claimed a shard within ${Math.round(this.#options.claimTimeoutMs / 1000)} s; start more with \`loadline agent --redis URL\` or \`loadline up --agents ${live.shardCount}\``,
        );
        return;
      }
      const alive = await this.#aliveAgents(live.claims.values());
      const gone = [...live.claims].find(([, agentId]) => !alive.has(agentId));
      if (gone) {
        await this.#fail(
          live,
          `agent ${gone[1]} left after claiming shard ${gone[0]}, before the run started; launch it again`,
        );
      }
      return;
    }
    // An agent that missed it (a Redis blip) hears it again until the VUs start.
    if (live.k6?.setup && Date.now() < live.k6.setup.at) await this.#sayK6Setup(live);
    const trip = judgeGuardrails(live, Date.now()) ?? this.#judgeK6(live);
    if (trip !== undefined && live.abortReason === undefined) {
      this.#options.log(`run ${runId}: ${trip}; aborting`);
      await this.#decideStop(live, trip);
    }
    // An agent whose heartbeat expired mid-shard is lost: the run goes on without it.
    const alive = await this.#aliveAgents(workingShards(live).map(([, agentId]) => agentId));
    for (const [shard, agentId] of newlyLost(live, alive)) {
      if (!(await this.#metadata.loseShard(runId, shard))) continue;
      live.lost.add(shard);
      this.#options.log(
        `run ${runId}: agent ${agentId} lost (shard ${shard}); the run is degraded`,
      );
    }
    const ending = live.done.size + live.lost.size >= live.shardCount;
    // What each shard counted, for GET /runs/ID and a takeover: every few seconds (a
    // thousand shards' rows are a write PGlite feels) and once more as the run ends.
    if (ending || Date.now() - live.progressWrittenAt >= PROGRESS_EVERY_MS) {
      live.progressWrittenAt = Date.now();
      await this.#metadata.recordShardProgress(runId, takeProgress(live));
    }
    if (ending) await this.#settle(live);
  }

  /**
   * A k6 run's thresholds on every agent's metrics merged, every 2 s (k6's cadence): why the
   * run stops (a threshold with abortOnFail crossed), or undefined.
   */
  #judgeK6(live: LiveRun): string | undefined {
    const k6 = live.k6;
    if (!k6?.judge.judging || Date.now() - k6.judgedAt < 2000 || k6.metrics.size === 0) {
      return undefined;
    }
    k6.judgedAt = Date.now();
    let verdict: ReturnType<typeof judgeK6>;
    try {
      verdict = judgeK6(k6, false);
      k6.verdict = verdict;
    } catch (error) {
      // A threshold on a metric of the wrong type (known once the script declared it).
      return `thresholds: ${(error as Error).message}`;
    }
    if (!verdict.abort) return undefined;
    k6.thresholdAbort = verdict.abort;
    return `thresholds on ${verdict.abort.key} (${verdict.abort.source}) crossed: abortOnFail`;
  }

  #alive: { at: number; agents: Promise<Set<string>> } | undefined;

  /**
   * The agents alive now, for a run's tick to tell who left. Every run's tick asks each
   * second and a listing checks every agent's heartbeat signature: one listing serves
   * every run for ALIVE_FRESH_MS. An agent a run needs but the listing lacks (it may have
   * claimed after the listing) is looked for once more in a new listing before it counts
   * as gone.
   */
  async #aliveAgents(needed: Iterable<string>): Promise<Set<string>> {
    const list = () => {
      const agents = listAgents(this.#redis, this.#names, this.#options.agents).then(
        (heartbeats) => new Set(heartbeats.map((a) => a.agentId)),
      );
      const listing = { at: Date.now(), agents };
      this.#alive = listing;
      agents.catch(() => {
        if (this.#alive === listing) this.#alive = undefined;
      });
      return listing;
    };
    const askedAt = Date.now();
    const cached = this.#alive;
    const listing = cached && askedAt - cached.at <= ALIVE_FRESH_MS ? cached : list();
    const alive = await listing.agents;
    if (listing.at >= askedAt || [...needed].every((agentId) => alive.has(agentId))) return alive;
    // Listed before this was asked: a listing begun since (or a new one) is new enough.
    const newer = this.#alive;
    return newer && newer.at >= askedAt ? newer.agents : list().agents;
  }

  /** A run that never started ends `error`: its agents stop, its unclaimed shards withdrawn. */
  async #fail(live: LiveRun, reason: string): Promise<void> {
    await this.#decideStop(live, reason);
    await this.#queue.removeUnclaimed(live.run.id, live.shardCount);
    await this.#settle(live, 'error');
  }

  /** Stops coordinating a run here (it ended, or another control holds it now). */
  #forget(live: LiveRun): void {
    live.phase = 'finishing';
    clearInterval(live.timer);
    live.scraper
      ?.stop()
      .catch((error: Error) => this.#options.log(`run ${live.run.id}: ${error.message}`));
    this.#live.delete(live.run.id);
  }

  async #settle(live: LiveRun, forced?: 'error'): Promise<void> {
    if (live.phase === 'finishing') return;
    this.#forget(live);
    if (live.startAt > 0) this.#rememberTarget(live);
    // What each shard counted, as it ended (a run shorter than PROGRESS_EVERY_MS, or one
    // whose last shard ended between ticks, would otherwise keep an older count).
    await this.#metadata
      .recordShardProgress(live.run.id, takeProgress(live))
      .catch((error: Error) =>
        this.#options.log(`run ${live.run.id}: shard progress not written: ${error.message}`),
      );
    const settlement = settleLive(live, Date.now(), forced);
    await storeSettlement(this.#metadata, live.run.id, settlement);
    if (live.k6) {
      await deleteRunScript(this.#redis, this.#names, live.run.id).catch((error: Error) =>
        this.#options.log(
          `run ${live.run.id}: its script stays in Redis until it expires: ${error.message}`,
        ),
      );
    }
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
   * A live run's seconds from `fromSecond` on (up to LIVE_HISTORY_S of them), per run,
   * step and agent, as merged here from the rows stored; undefined when this control does
   * not hold the run (ClickHouse has them).
   */
  liveSeries(runId: string, fromSecond: number): LiveSeriesWindow | undefined {
    const live = this.#live.get(runId);
    if (!live || live.phase === 'finishing') return undefined;
    return live.series.window(fromSecond);
  }

  /**
   * What a run asked for each second, while it runs and for a while after (the last live
   * events of a run that just ended still draw its target), or undefined.
   */
  targetOf(runId: string): PlannedTarget | undefined {
    const live = this.#live.get(runId);
    if (live && live.startAt > 0) {
      return {
        target: live.target,
        startAt: live.startAt,
        durationMs: live.durationMs,
        rateChanges: live.rateChanges,
      };
    }
    return this.#recentTargets.get(runId);
  }

  /**
   * A running open-model run's rate multiplier and its live changes (undefined for runs
   * without a rate to change: VUs, replays, runs not coordinated here).
   */
  rateOf(runId: string): { rateMultiplier: number; rateChanges: readonly RateStep[] } | undefined {
    const live = this.#live.get(runId);
    if (live?.target.kind !== 'open' || live.scenario.replay) return undefined;
    return { rateMultiplier: live.rateMultiplier, rateChanges: live.rateChanges };
  }

  #rememberTarget(live: LiveRun): void {
    this.#recentTargets.set(live.run.id, {
      target: live.target,
      startAt: live.startAt,
      durationMs: live.durationMs,
      rateChanges: live.rateChanges,
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
    if (live.k6) return k6ThresholdsSoFar(live.k6);
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

/** What was written of a run's shards and start, in a run just taken over. */
function restoreShards(live: LiveRun, coordination: Coordination): void {
  for (const shard of coordination.shards) {
    if (shard.agentId === null) continue;
    if (shard.claimedAt !== null) live.claims.set(shard.shardIndex, shard.agentId);
    if (shard.state === 'lost') live.lost.add(shard.shardIndex);
    if (shard.state === 'finished' || shard.state === 'failed') {
      live.done.set(shard.shardIndex, {
        aborted: shard.state === 'failed',
        ...(shard.reason === null ? {} : { reason: shard.reason }),
      });
    }
    if (live.k6 && shard.k6ExitCode !== null) {
      live.k6.endings.set(shard.shardIndex, {
        exitCode: shard.k6ExitCode,
        ...(shard.reason === null ? {} : { reason: shard.reason }),
      });
    }
    const metrics = K6Metrics.safeParse(shard.k6Metrics);
    if (live.k6 && metrics.success) live.k6.metrics.set(shard.agentId, metrics.data);
    live.progress.set(shard.agentId, {
      requests: shard.requests,
      lastSecond: (shard.lastIntervalAt?.getTime() ?? 0) / 1000,
      changed: false,
    });
  }
  if (coordination.startAtMs !== null) {
    live.phase = 'running';
    live.startAt = coordination.startAtMs;
  }
  live.abortReason = coordination.stopReason ?? undefined;
  if (live.k6 && coordination.k6Setup) live.k6.setup = coordination.k6Setup;
}

/** A row counted toward its agent's progress (written once a tick, by shard). */
function noteProgress(live: LiveRun, row: IntervalRow): void {
  let progress = live.progress.get(row.agentId);
  if (!progress) {
    progress = { requests: 0, lastSecond: 0, changed: false };
    live.progress.set(row.agentId, progress);
  }
  progress.requests += row.requests;
  progress.lastSecond = Math.max(progress.lastSecond, row.second);
  progress.changed = true;
}

/** The shards whose progress changed since the last tick. */
function takeProgress(live: LiveRun): ShardProgress[] {
  const out: ShardProgress[] = [];
  for (const [shardIndex, agentId] of live.claims) {
    const progress = live.progress.get(agentId);
    if (!progress?.changed) continue;
    progress.changed = false;
    out.push({
      shardIndex,
      requests: progress.requests,
      lastIntervalAt: new Date(progress.lastSecond * 1000),
    });
  }
  return out;
}
