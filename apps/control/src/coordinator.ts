import { type AgentMessage, type IntervalRow, type ShardJob, splitEvenly } from '@loadline/api';
import {
  arrivalsBy,
  evaluateThresholds,
  fitProfile,
  GuardrailMonitor,
  type GuardrailState,
  type RateProfile,
  StepTable,
  stepTableSource,
  summarizeFlows,
  type ThresholdResult,
} from '@loadline/engine';
import { canTransition, type MetadataStore, type Run } from '@loadline/metadata';
import { type MetricsTarget, type TargetMetricRow, TargetScraper } from '@loadline/metrics';
import {
  listAgents,
  publishSignal,
  type Redis,
  type RedisNames,
  type ShardQueue,
} from '@loadline/queue';
import type { Corpus } from '@loadline/replay';
import { parseDuration, type Scenario } from '@loadline/scenario';
import { shadowHeaders, signShadowTag } from '@loadline/shadow';
import { addRows, SecondWindow } from './live-table.js';
import { planReplayShards } from './replay-shards.js';
import { buildSummary } from './summary.js';

export interface RunOverrides {
  duration?: string;
  rateMultiplier?: number;
}

export interface LaunchInput {
  run: Run;
  scenario: Scenario;
  feederRows: Record<string, Array<Record<string, string>>>;
  allowedHosts: string[];
  overrides: RunOverrides;
  /** a replay scenario's corpus, loaded by launchRun */
  corpus?: Corpus;
  /** the environment's shadow key: shadow runs carry a tag signed with it */
  shadowSecret?: string;
  /** the environment's Prometheus endpoints, scraped every second while the run goes */
  metricsTargets?: MetricsTarget[];
}

/** Shadow tags outlive the run by this much (claims and start delay come first). */
const TAG_SLACK_S = 15 * 60;

/** What the whole run asks for (all shards together): a rate profile or a number of VUs. */
export type RunTarget = { kind: 'open'; profile: RateProfile } | { kind: 'closed'; vus: number };

/**
 * The target of the point keyed `second` of a run that started at `startAt` (ms): the
 * intended arrivals in the run's interval that starts in that epoch second (open model), the
 * VUs (closed), 0 outside the run.
 */
export function targetOfSecond(
  target: RunTarget,
  startAt: number,
  durationMs: number,
  second: number,
) {
  // Agents rotate intervals every second from the common start and key each by the epoch
  // second it starts in: the point of second s is the run's interval k = s − ⌊start⌋.
  const from = (second - Math.floor(startAt / 1000)) * 1000;
  const to = from + 1000;
  if (target.kind === 'closed') return undefined; // VUs, not a rate: no target rate to draw
  if (to <= 0 || from >= durationMs) return 0;
  return (
    arrivalsBy(target.profile, Math.min(to, durationMs)) -
    arrivalsBy(target.profile, Math.max(from, 0))
  );
}

interface LiveRun {
  run: Run;
  target: RunTarget;
  scenario: Scenario;
  shardCount: number;
  claims: Map<number, string>;
  done: Map<number, { aborted: boolean; reason?: string }>;
  lost: Set<number>;
  phase: 'waiting' | 'running' | 'finishing';
  waitingSince: number;
  startAt: number;
  durationMs: number;
  totals: StepTable;
  iterationsByFlow: Map<string, number>;
  window: SecondWindow;
  guardrails: GuardrailMonitor;
  scraper: TargetScraper | undefined;
  /** when the capacity probe's SLO started to hold broken (undefined while it holds) */
  probeBreachSince?: number | undefined;
  abortReason: string | undefined;
  timer: NodeJS.Timeout;
}

export interface CoordinatorOptions {
  claimTimeoutMs: number;
  /** seconds between the last claim and the common start, so every agent is ready */
  startDelayMs: number;
  /** this control's name in run leases */
  coordinatorId: string;
  log: (line: string) => void;
  /** where scraped target metrics go (the result store); scraping is off without it */
  storeTargetMetrics?: (rows: TargetMetricRow[]) => Promise<unknown>;
}

const LEASE_MS = 10_000;

/** Splits a run into shard jobs: rate and VUs divided, feeder rows dealt round-robin. */
export function planShards(input: LaunchInput): {
  jobs: ShardJob[];
  durationMs: number;
  target: RunTarget;
} {
  const { run, scenario, overrides } = input;
  const count = run.agentsRequested;
  const load = scenario.load;
  if (scenario.replay || load === undefined) {
    return planReplayShards(input, (durationMs) => shadowHeadersOf(input, durationMs));
  }
  const multiplier = overrides.rateMultiplier ?? 1;
  const override = overrides.duration === undefined ? undefined : parseDuration(overrides.duration);
  const rows = (name: string, shard: number) =>
    (input.feederRows[name] ?? []).filter((_, i) => i % count === shard);
  const feederRows = (shard: number) =>
    Object.fromEntries(Object.keys(scenario.feeders).map((name) => [name, rows(name, shard)]));
  let models: ShardJob['model'][];
  let durationMs: number;
  let target: RunTarget;
  if (load.vus !== undefined) {
    durationMs = override ?? parseDuration(load.duration as string) ?? 0;
    const vus = splitEvenly(Math.max(count, Math.round(load.vus * multiplier)), count);
    models = vus.map((v) => ({ kind: 'closed', vus: v, durationMs }));
    target = { kind: 'closed', vus: vus.reduce((a, b) => a + b, 0) };
  } else {
    const base =
      load.rate !== undefined
        ? {
            startRate: load.rate,
            stages: [
              { durationMs: parseDuration(load.duration as string) ?? 0, target: load.rate },
            ],
          }
        : {
            startRate: load.startRate ?? 0,
            stages: (load.stages ?? []).map((s) => ({
              durationMs: parseDuration(s.duration) ?? 0,
              target: s.target,
            })),
          };
    const profile = override === undefined ? base : fitProfile(base, override);
    durationMs = profile.stages.reduce((n, s) => n + s.durationMs, 0);
    const share = multiplier / count;
    target = {
      kind: 'open',
      profile: {
        startRate: profile.startRate * multiplier,
        stages: profile.stages.map((s) => ({ ...s, target: s.target * multiplier })),
      },
    };
    const maxInFlight = Math.max(1, Math.ceil((load.maxInFlight ?? 10_000) / count));
    models = Array.from({ length: count }, () => ({
      kind: 'open',
      startRate: profile.startRate * share,
      stages: profile.stages.map((s) => ({ durationMs: s.durationMs, target: s.target * share })),
      maxInFlight,
    }));
  }
  const jobs = models.map((model, shard) => ({
    runId: run.id,
    shard,
    shardCount: count,
    scenario: scenario as unknown as Record<string, unknown>,
    model,
    feederRows: feederRows(shard),
    extraHeaders: shadowHeadersOf(input, durationMs),
    allowedHosts: input.allowedHosts,
  }));
  return { jobs, durationMs, target };
}

/**
 * The headers a shadow run's requests carry: `x-loadline-shadow` and W3C baggage with a tag
 * signed by the environment's key, valid for the run and some slack. None for a plain run.
 */
function shadowHeadersOf(input: LaunchInput, durationMs: number): [string, string][] {
  if (!input.scenario.shadow) return [];
  if (!input.shadowSecret) throw new Error("a shadow run needs its environment's shadow secret");
  const expiresAt = Math.ceil((Date.now() + durationMs) / 1000) + TAG_SLACK_S;
  const tag = signShadowTag({ runId: input.run.id, expiresAt, secret: input.shadowSecret });
  return Object.entries(shadowHeaders(tag));
}

/**
 * Drives runs through their life: enqueue shards, wait for every claim, broadcast one
 * start time, keep agents alive, watch guardrails every second, notice lost agents, and
 * settle the final status with thresholds evaluated on merged histograms.
 */
export class RunCoordinator {
  readonly #live = new Map<string, LiveRun>();
  readonly #recentTargets = new Map<
    string,
    { target: RunTarget; startAt: number; durationMs: number }
  >();
  readonly #metadata: MetadataStore;
  readonly #redis: Redis;
  readonly #names: RedisNames;
  readonly #queue: ShardQueue;
  readonly #options: CoordinatorOptions;

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
      iterationsByFlow: new Map(),
      window: new SecondWindow(),
      guardrails: new GuardrailMonitor(input.scenario.guardrails),
      scraper: this.#scraperFor(runId, input.metricsTargets ?? []),
      abortReason: undefined,
      timer: setInterval(() => {
        this.#tick(runId).catch((error) =>
          this.#options.log(`run ${runId}: ${error.stack ?? error}`),
        );
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
    await publishSignal(this.#redis, this.#names, { type: 'keepalive', runId, at: Date.now() });
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
    const mine = rows.filter((r) => r.service === probe.service);
    if (mine.length === 0) return;
    const breaches = mine.flatMap((r) => {
      const cpu = r.cpuSeconds < 0 ? null : r.cpuSeconds / r.intervalS / probe.cores;
      const qps = r.requests / r.intervalS;
      const out: string[] = [];
      if (probe.slo.p99Ms !== undefined && r.p99Ms > probe.slo.p99Ms)
        out.push(`p99 ${r.p99Ms.toFixed(1)} ms > ${probe.slo.p99Ms} ms at ${qps.toFixed(0)} QPS`);
      if (probe.slo.cpuCeiling !== undefined && cpu !== null && cpu > probe.slo.cpuCeiling)
        out.push(
          `CPU ${(cpu * 100).toFixed(0)}% > ${probe.slo.cpuCeiling * 100}% at ${qps.toFixed(0)} QPS`,
        );
      return out;
    });
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

  async stop(runId: string, reason: string): Promise<boolean> {
    const live = this.#live.get(runId);
    if (!live) return false;
    live.abortReason ??= reason;
    await publishSignal(this.#redis, this.#names, { type: 'abort', runId, reason });
    if (live.phase === 'waiting') await this.#settle(live);
    return true;
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
    if (message.type === 'heartbeat' || message.type === 'intervals') return;
    const live = this.#live.get(message.runId);
    if (!live) return;
    if (message.type === 'claimed') {
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
        await publishSignal(this.#redis, this.#names, {
          type: 'start',
          runId: live.run.id,
          startAt: live.startAt,
        });
      }
    } else if (message.type === 'shard-done') {
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
    await publishSignal(this.#redis, this.#names, { type: 'keepalive', runId, at: Date.now() });
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
        await publishSignal(this.#redis, this.#names, {
          type: 'abort',
          runId,
          reason: 'not enough agents',
        });
        await this.#settle(live, 'error');
      }
      return;
    }
    // Guardrails: judge each second once it is 2 s old (agents rotate independently).
    const settled = live.window.takeSettled(Math.floor(Date.now() / 1000) - 2);
    const stepsOfFlow = Object.fromEntries(
      live.scenario.flows.map((f) => [f.name, f.steps.map((s) => s.name)]),
    );
    for (const [second, table] of settled) {
      const trip = live.guardrails.observe(
        stepTableSource(table, stepsOfFlow, 1),
        (second + 1) * 1000,
        1000,
      );
      if (trip && live.abortReason === undefined) {
        live.abortReason = `guardrail: ${trip.guardrail} (value ${trip.value})`;
        this.#options.log(`run ${runId}: ${live.abortReason}; aborting`);
        await publishSignal(this.#redis, this.#names, {
          type: 'abort',
          runId,
          reason: live.abortReason,
        });
      }
    }
    // An agent whose heartbeat expired mid-shard is lost: the run goes on without it.
    const alive = new Set((await listAgents(this.#redis, this.#names)).map((a) => a.agentId));
    for (const [shard, agentId] of live.claims) {
      if (!live.done.has(shard) && !live.lost.has(shard) && !alive.has(agentId)) {
        live.lost.add(shard);
        this.#options.log(
          `run ${runId}: agent ${agentId} lost (shard ${shard}); the run is degraded`,
        );
      }
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
    const abortedByAgent = [...live.done.values()].find(
      (d) => d.aborted && !live.abortReason,
    )?.reason;
    const abortReason = live.abortReason ?? abortedByAgent;
    const ranMs = live.startAt === 0 ? 0 : Math.min(live.durationMs, Date.now() - live.startAt);
    const status =
      forced ??
      (abortReason !== undefined ? 'aborted' : live.lost.size > 0 ? 'degraded' : 'pending');
    // A flow's first step is its own (step names are unique): its requests are the
    // iterations that flow started, which gives the achieved mix.
    for (const flow of live.scenario.flows) {
      const first = flow.steps[0]?.name;
      let started = 0;
      for (const [key, cell] of live.totals.cells)
        if (key.split('\u0000')[0] === first) started += cell.requests;
      live.iterationsByFlow.set(flow.name, started);
    }
    const summary = buildSummary(live.run.id, live.scenario, live.totals, {
      durationS: (status === 'aborted' ? ranMs : live.durationMs) / 1000,
      agents: live.shardCount,
      status,
      ...(abortReason === undefined ? {} : { abortReason }),
      iterationsByFlow: live.iterationsByFlow,
    });
    const final = status === 'pending' ? (summary.passed ? 'passed' : 'failed') : status;
    summary.status = final;
    if (final === 'degraded') summary.passed = false;
    const from = (['queued', 'waiting-for-agents', 'running'] as const).filter((state) =>
      canTransition(state, final),
    );
    await this.#metadata.transitionRun(live.run.id, [...from], final, {
      summary: JSON.parse(JSON.stringify(summary)),
      ...(final === 'passed' || final === 'failed' ? {} : { passed: false }),
      ...(abortReason === undefined ? {} : { abortReason }),
    });
    this.#options.log(`run ${live.run.id}: ${final}`);
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
    const stepsOfFlow = Object.fromEntries(
      live.scenario.flows.map((f) => [f.name, f.steps.map((s) => s.name)]),
    );
    const elapsedS = Math.max((Date.now() - live.startAt) / 1000, 1);
    return evaluateThresholds(
      live.scenario.thresholds,
      stepTableSource(live.totals, stepsOfFlow, elapsedS),
    );
  }

  /**
   * Shutting down: stop coordinating and give the leases up, so the next control settles
   * these runs at once from what was stored (agents stop within seconds on their own).
   */
  async close(): Promise<void> {
    for (const live of this.#live.values()) {
      clearInterval(live.timer);
      await live.scraper?.stop();
      await this.#metadata
        .releaseRunLease(live.run.id, this.#options.coordinatorId)
        .catch(() => false);
    }
    this.#live.clear();
  }
}
