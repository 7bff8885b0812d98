import { CapacityModel, Plan } from '@loadline/capacity';
import { Corpus } from '@loadline/replay/corpus';
import { z } from 'zod';
import { GeneratorSaturation } from '../generator.js';
import { Heartbeat } from '../messages.js';
import { Counters, LatencySummary, TargetMetricRow, TimeSeriesPoint, Totals } from '../results.js';
import { RunStatus } from '../runs.js';
import { RunSummary, ThresholdResult } from '../summary.js';
import { Approval } from './account.js';
import { FeederRows, LeakInput, MetricsTarget, RunOverrides, WeightDriver } from './bodies.js';

// Response bodies of the control API and the JSON that control stores in Postgres: what
// goes over the wire is parsed by the typed client, what comes back from a jsonb column is
// parsed by control, both with these.

/** An instant as JSON carries it: ISO 8601 in UTC (`2026-11-11T00:00:00.000Z`). */
export const Timestamp = z.iso.datetime({ offset: true });

/** An RFC 9457 problem: every error the API answers has this body. */
export const Problem = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  /** each refused field with why */
  errors: z.array(z.looseObject({ message: z.string() })).optional(),
});
export type Problem = z.infer<typeof Problem>;

export const Health = z.object({
  ok: z.literal(true),
  /** `pglite` (embedded) or `postgres` */
  metadata: z.string(),
  activeRuns: z.number().int().nonnegative(),
  /** this control coordinates runs (false: a standby, which forwards writes to the active one) */
  active: z.boolean().default(true),
  /** the active control's API, as this one knows it (absent during a takeover) */
  activeControl: z.string().optional(),
});

// Response shapes are plain objects, never strict: a newer control may add a field (add,
// never rename), and an older client must still read the answer.

export const Environment = z.object({
  name: z.string(),
  baseUrls: z.record(z.string(), z.string()),
  allowedHosts: z.array(z.string()),
  requiresShadow: z.boolean(),
  /** launches and schedules here wait for a second operator's approval */
  protected: z.boolean(),
  metricsTargets: z.array(z.object(MetricsTarget.shape)),
  /** per service, how a weight-shift probe sets its instances' weights */
  weightDrivers: z.record(z.string(), WeightDriver).default({}),
  /** seconds agents go on while control is away (null: control's LOADLINE_CONTROL_GRACE) */
  controlGraceS: z.number().nullable().default(null),
  /** the fleet's request-rate cap here (per second; null: none) */
  maxRate: z.number().nullable().default(null),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Environment = z.infer<typeof Environment>;
export const EnvironmentList = z.object({ environments: z.array(Environment) });

export const ScenarioInfo = z.object({
  id: z.string(),
  name: z.string(),
  latestVersion: z.number().int().positive(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type ScenarioInfo = z.infer<typeof ScenarioInfo>;
export const ScenarioList = z.object({ scenarios: z.array(ScenarioInfo) });

export const ScenarioVersionInfo = z.object({
  version: z.number().int().positive(),
  createdAt: Timestamp,
  createdBy: z.string().nullable(),
});
export type ScenarioVersionInfo = z.infer<typeof ScenarioVersionInfo>;
export const ScenarioVersions = z.object({
  name: z.string(),
  versions: z.array(ScenarioVersionInfo),
});

/**
 * A scenario version's parsed form as stored (jsonb `parsed`): the validated scenario as
 * JSON and the feeder rows that went with it.
 */
export const StoredScenario = z.object({
  scenario: z.record(z.string(), z.unknown()),
  feederRows: FeederRows.default({}),
});
export type StoredScenario = z.infer<typeof StoredScenario>;

export const ScenarioVersion = z.object({
  scenarioId: z.string(),
  name: z.string(),
  version: z.number().int().positive(),
  /** the YAML (or JSON) exactly as the author wrote it */
  source: z.string(),
  parsed: StoredScenario,
  createdAt: Timestamp,
  createdBy: z.string().nullable(),
});
export type ScenarioVersion = z.infer<typeof ScenarioVersion>;

export const SavedScenario = z.object({ name: z.string(), version: z.number().int().positive() });

/** GET /runs/:id/report?format=json: the run's identity and its summary. */
export const RunReport = z.object({
  run: z.object({
    id: z.string(),
    scenario: z.string(),
    environment: z.string(),
    status: RunStatus,
    createdAt: Timestamp,
    startedAt: Timestamp.nullable(),
    endedAt: Timestamp.nullable(),
  }),
  summary: RunSummary,
});
export type RunReport = z.infer<typeof RunReport>;

/** A run's launch options as stored (jsonb `options`). */
export const RunOptions = z.object({ overrides: RunOverrides.default({}) });
export type RunOptions = z.infer<typeof RunOptions>;

export const Run = z.object({
  id: z.string(),
  scenarioId: z.string(),
  scenario: z.string(),
  scenarioVersion: z.number().int().positive(),
  environment: z.string(),
  scheduleId: z.string().nullable(),
  status: RunStatus,
  agentsRequested: z.number().int().positive(),
  options: RunOptions,
  createdAt: Timestamp,
  startedAt: Timestamp.nullable(),
  endedAt: Timestamp.nullable(),
  passed: z.boolean().nullable(),
  summary: RunSummary.nullable(),
  abortReason: z.string().nullable(),
  /** the control process coordinating the run, while one does */
  coordinator: z.string().nullable(),
  leaseUntil: Timestamp.nullable(),
  /** who launched it (`user:alice`, `token:tok_… (alice)`, `schedule:nightly`) */
  launchedBy: z.string().nullable(),
  /** in a protected environment: the approval it waited for */
  approval: Approval.nullable(),
});
export type Run = z.infer<typeof Run>;

export const RunPage = z.object({
  runs: z.array(Run),
  /** pass as `cursor` for the next page; null on the last page */
  nextCursor: z.string().nullable(),
});
export type RunPage = z.infer<typeof RunPage>;

/** GET /runs/:id: the run with what has been stored of it so far (and live thresholds). */
/** One shard of a run: the agent that claimed it and how far its clock was from control's. */
export const RunShard = z.object({
  shard: z.number().int().nonnegative(),
  agentId: z.string().nullable(),
  state: z.string(),
  requests: z.number().int().nonnegative(),
  /** control's clock minus the agent's when it claimed (ms); null from agents that did not say */
  clockOffsetMs: z.number().nullable(),
});
export type RunShard = z.infer<typeof RunShard>;

/** One live rate change on a run's timeline. */
export const RateChange = z.object({
  /** control's epoch ms from which every agent went at the new rate */
  atMs: z.number(),
  rateMultiplier: z.number(),
  changedBy: z.string(),
});
export type RateChange = z.infer<typeof RateChange>;

export const RunDetail = Run.extend({
  live: Totals.extend({ thresholds: z.array(ThresholdResult).optional() }),
  shards: z.array(RunShard),
  /** the multiplier the run goes (or went) at last: 1 unless changed live */
  rateMultiplier: z.number(),
  /** live rate changes, oldest first */
  rateChanges: z.array(RateChange),
});

/** PATCH /runs/:id answered: the new rate, and from when every agent goes at it. */
export const RunRate = z.object({
  runId: z.string(),
  rateMultiplier: z.number(),
  /** control's epoch ms */
  atMs: z.number(),
  /** requests per second the run plans now at its peak (the cap applies to this) */
  peakRate: z.number(),
});
export type RunDetail = z.infer<typeof RunDetail>;

export const LaunchCheck = z.object({
  ok: z.literal(true),
  scenario: z.string(),
  version: z.number().int().positive(),
  environment: z.string(),
  target: z.string(),
  agents: z.number().int().positive(),
  shadow: z.boolean(),
  /** the environment is protected: a launch waits for a second operator's approval */
  awaitsApproval: z.boolean(),
});
export type LaunchCheck = z.infer<typeof LaunchCheck>;

export const PercentileDistribution = z.object({
  runId: z.string(),
  step: z.string().nullable(),
  count: z.number().int().nonnegative(),
  curve: z.array(z.object({ percentile: z.number(), ms: z.number() })),
});
export type PercentileDistribution = z.infer<typeof PercentileDistribution>;

export const SeriesBy = z.enum(['total', 'step', 'agent']);
export type SeriesBy = z.infer<typeof SeriesBy>;

export const RunSeries = z.object({
  runId: z.string(),
  by: SeriesBy,
  series: z.record(z.string(), z.array(TimeSeriesPoint)),
});
export type RunSeries = z.infer<typeof RunSeries>;

export const Leak = z.object(LeakInput.shape).extend({
  id: z.string(),
  runId: z.string(),
  at: Timestamp,
  receivedAt: Timestamp,
});
export type Leak = z.infer<typeof Leak>;
export const LeakAccepted = Leak.extend({ runStopping: z.boolean() });
export const RunLeaks = z.object({ runId: z.string(), leaks: z.array(Leak) });

export const TargetMetrics = z.object({
  runId: z.string(),
  rows: z.array(z.object(TargetMetricRow.shape)),
});
export const StopAccepted = z.object({ runId: z.string(), stopping: z.literal(true) });
export const AgentList = z.object({ agents: z.array(Heartbeat) });
export const RunStates = z.record(RunStatus, z.array(RunStatus));

export const Schedule = z.object({
  id: z.string(),
  name: z.string(),
  scenarioId: z.string(),
  scenario: z.string(),
  /** a pinned version; null runs the latest version each time */
  scenarioVersion: z.number().int().positive().nullable(),
  cron: z.string(),
  timezone: z.string(),
  environment: z.string(),
  agents: z.number().int().positive(),
  options: RunOptions,
  paused: z.boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  createdBy: z.string().nullable(),
  /** in a protected environment: a schedule fires only once approved */
  approval: Approval.nullable(),
});
export type Schedule = z.infer<typeof Schedule>;
export const ScheduleList = z.object({ schedules: z.array(Schedule) });

/** A stored corpus version as lists and detail pages show it: figures, no requests. */
export const CorpusView = z.object({
  name: z.string(),
  version: z.number().int().positive(),
  latestVersion: z.number().int().positive().optional(),
  requests: z.number().int().nonnegative(),
  sessions: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
  format: z.string().optional(),
  source: z.string().optional(),
  createdAt: Timestamp,
  createdBy: z.string().nullable(),
});
export type CorpusView = z.infer<typeof CorpusView>;
export const CorpusList = z.object({
  corpora: z.array(
    CorpusView.extend({
      /** the biggest request templates and how many there are */
      mix: z.object({ distinct: z.number().int().nonnegative(), top: z.array(z.unknown()) }),
    }),
  ),
});
export const CorpusDetail = CorpusView.extend({
  meta: Corpus.shape.meta,
  mix: Corpus.shape.mix,
  /** with ?requests=1: the whole corpus as `loadline import --out` writes it */
  corpus: Corpus.optional(),
});
export type CorpusDetail = z.infer<typeof CorpusDetail>;

export const CapacityFit = z.object({
  model: CapacityModel,
  /** what the model was fitted on, per service and entry step */
  measurements: z.record(z.string(), z.unknown()),
});
export type CapacityFit = z.infer<typeof CapacityFit>;
export { Plan as CapacityPlan };

/** One level of a weight-shift probe, as measured on the probed instance. */
export const WeightProbeLevel = z.object({
  /** the instance's share of the service's weight at this level */
  share: z.number(),
  weights: z.array(z.number()),
  /** seconds measured (the level's hold less its settle) */
  seconds: z.number(),
  qps: z.number(),
  /** from the level's merged latency histogram; -1: no requests */
  p99Ms: z.number(),
  /** CPU utilisation of the instance's cores; -1: it exposes no CPU counter */
  cpu: z.number(),
  /** mean requests in flight (Little's law on its duration histogram's _sum); -1: no _sum */
  concurrency: z.number(),
  /** the first level runs on the weights as found: it never counts as a breach */
  warmUp: z.boolean(),
  /** what of the SLO this level broke */
  breaches: z.array(z.string()),
});
export type WeightProbeLevel = z.infer<typeof WeightProbeLevel>;

export const WeightProbeStatus = z.enum(['running', 'finished', 'aborted', 'failed']);
export type WeightProbeStatus = z.infer<typeof WeightProbeStatus>;

/** A weight-shift capacity probe: its input, its levels so far, and once ended its redline. */
export const WeightProbe = z.object({
  id: z.string(),
  environment: z.string(),
  service: z.string(),
  instance: z.number().int(),
  /** the instance's metrics URL */
  instanceUrl: z.string(),
  input: z.record(z.string(), z.unknown()),
  status: WeightProbeStatus,
  /** the weights found before the first change: what every ending puts back */
  originalWeights: z.array(z.number()),
  levels: z.array(WeightProbeLevel),
  /**
   * The instance's redline: the highest QPS meeting the SLO (interpolated at the confirmed
   * breach, `between` the level that held and the one that broke), or, when nothing broke, a
   * lower bound (`lowerBound: true`, the highest QPS carried).
   */
  redline: z
    .object({
      qps: z.number(),
      lowerBound: z.boolean(),
      by: z.enum(['p99', 'cpu']).nullable(),
      between: z.tuple([z.number(), z.number()]).optional(),
    })
    .nullable(),
  reason: z.string().nullable(),
  createdBy: z.string(),
  createdAt: Timestamp,
  endedAt: Timestamp.nullable(),
  /** when the original weights were put back (null while running, or if that failed) */
  restoredAt: Timestamp.nullable(),
});
export type WeightProbe = z.infer<typeof WeightProbe>;

/** Where a guardrail stands: its last value and how long its condition has held. */
export const GuardrailState = z.object({
  guardrail: z.string(),
  value: z.number().nullable(),
  holdingForS: z.number(),
  forS: z.number(),
});

const LiveStep = Counters.extend({ latencyMs: LatencySummary.omit({ count: true }) }).partial({
  checks: true,
  checksFailed: true,
  late: true,
  dropped: true,
});

/** What control holds of an active run: phase, claims and the merged totals so far. */
export const LiveSnapshot = z.looseObject({
  phase: z.enum(['waiting', 'running', 'finishing']),
  agents: z.object({
    requested: z.number().int(),
    claimed: z.number().int(),
    done: z.number().int(),
    lost: z.number().int(),
  }),
  startAt: z.number(),
  durationMs: z.number(),
  target: z.looseObject({ kind: z.enum(['open', 'closed']) }).optional(),
  guardrails: z.array(GuardrailState).optional(),
  /** agents saturated so far (the run will end invalid) */
  saturated: z.array(GeneratorSaturation).optional(),
  /** results waiting in Redis to be stored, and the age of the oldest (s) */
  storage: z.object({ backlog: z.number().int(), behindS: z.number() }).optional(),
  summary: z.looseObject({
    total: z.looseObject(LiveStep.shape),
    steps: z.record(z.string(), z.looseObject(LiveStep.shape)),
  }),
});
export type LiveSnapshot = z.infer<typeof LiveSnapshot>;

export const LivePoint = TimeSeriesPoint.extend({
  /** the run's intended arrivals in this second (open model) or VUs (closed), when known */
  target: z.number().optional(),
});
export type LivePoint = z.infer<typeof LivePoint>;

/** One Server-Sent Event of GET /runs/:id/events (`update` each second, `end` last). */
export const RunEvent = z.object({
  runId: z.string(),
  status: RunStatus,
  abortReason: z.string().nullable(),
  at: z.number(),
  final: z.boolean(),
  snapshot: LiveSnapshot.nullable(),
  thresholds: z.array(ThresholdResult).nullable(),
  points: z.array(LivePoint),
  /** per-second points per step and per agent over the same seconds */
  steps: z.record(z.string(), z.array(TimeSeriesPoint)),
  /**
   * per agent: every agent up to 50; past that, the 50 slowest (the highest p99 in their
   * newest second here), so an event stays small however large the fleet
   */
  agents: z.record(z.string(), z.array(TimeSeriesPoint)),
  /** agents with points in this event's seconds (more than `agents` holds when it is cut) */
  agentsReporting: z.number().int().nonnegative().default(0),
  /** an open-model run's rate multiplier now (null: no rate to change: VUs, a replay, over) */
  rateMultiplier: z.number().nullable().default(null),
  /** live rate changes so far, for the charts' markers */
  rateChanges: z.array(z.object({ atMs: z.number(), rateMultiplier: z.number() })).default([]),
});
export type RunEvent = z.infer<typeof RunEvent>;
