// The shapes the console reads from the control API (see its /openapi.json).

export type RunStatus =
  | 'queued'
  | 'waiting-for-agents'
  | 'running'
  | 'passed'
  | 'failed'
  | 'aborted'
  | 'degraded'
  | 'error';

export const RUN_STATUSES: RunStatus[] = [
  'queued',
  'waiting-for-agents',
  'running',
  'passed',
  'failed',
  'aborted',
  'degraded',
  'error',
];

export const TERMINAL: ReadonlySet<RunStatus> = new Set([
  'passed',
  'failed',
  'aborted',
  'degraded',
  'error',
]);

export interface LatencyMs {
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface StepSummary {
  requests: number;
  errors: number;
  /** per step only; a run's total has none */
  checks?: number;
  checksFailed?: number;
  latencyMs: LatencyMs;
  statusCodes?: Record<string, number>;
}

export interface ThresholdResult {
  expression: string;
  passed: boolean;
  value: number | null;
}

export interface RunSummary {
  status: RunStatus;
  passed: boolean;
  durationS: number;
  agents: number;
  total: StepSummary;
  steps: Record<string, StepSummary>;
  thresholds: ThresholdResult[];
  abortReason?: string;
  achievedMix?: Record<string, number>;
  intendedMix?: Record<string, number>;
}

export interface Run {
  id: string;
  scenario: string;
  scenarioVersion: number;
  environment: string;
  status: RunStatus;
  agentsRequested: number;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  passed: boolean | null;
  abortReason: string | null;
  summary: RunSummary | null;
}

export interface RunPage {
  runs: Run[];
  nextCursor: string | null;
}

export interface ScenarioInfo {
  id: string;
  name: string;
  latestVersion: number;
  updatedAt?: string;
  createdAt?: string;
}

export interface AgentHeartbeat {
  agentId: string;
  host: string;
  pid: number;
  version: string;
  runId: string | null;
  at: number;
  eventLoopDelayP99Ms: number;
}

export interface SeriesPoint {
  second: number;
  requests: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** the run's intended arrivals in this second (open model) or VUs (closed), when known */
  target?: number;
  /** sends later than intended, and arrivals never sent */
  late?: number;
  dropped?: number;
}

/** Where a guardrail stands: its last value and how long its condition has held. */
export interface GuardrailState {
  guardrail: string;
  value: number | null;
  holdingForS: number;
  forS: number;
}

export type RunTarget = { kind: 'open' } | { kind: 'closed'; vus: number };

export interface LiveSnapshot {
  phase: 'waiting' | 'running' | 'finishing';
  agents: { requested: number; claimed: number; done: number; lost: number };
  startAt: number;
  durationMs: number;
  target?: RunTarget;
  guardrails?: GuardrailState[];
  summary: { total: StepSummary; steps: Record<string, StepSummary> };
}

/** One Server-Sent Event from GET /runs/:id/events. */
export interface RunEvent {
  runId: string;
  status: RunStatus;
  abortReason: string | null;
  at: number;
  final: boolean;
  snapshot: LiveSnapshot | null;
  thresholds: ThresholdResult[] | null;
  points: SeriesPoint[];
  /** per-second points per step and per agent over the same seconds */
  steps?: Record<string, SeriesPoint[]>;
  agents?: Record<string, SeriesPoint[]>;
}

/** GET /runs/:id/series */
export interface RunSeries {
  runId: string;
  by: 'total' | 'step' | 'agent';
  series: Record<string, SeriesPoint[]>;
}

/** A problem the scenario parser or the API reported, at line:column when known. */
export interface ScenarioProblem {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

/** A named target environment: where runs may go and whether they must be shadow-tagged. */
export interface Environment {
  name: string;
  baseUrls: Record<string, string>;
  allowedHosts: string[];
  requiresShadow: boolean;
  createdAt?: string;
  updatedAt?: string;
}

/** A run's latency distribution from its merged histogram (GET /runs/:id/percentiles). */
export interface PercentileDistribution {
  runId: string;
  step: string | null;
  count: number;
  curve: Array<{ percentile: number; ms: number }>;
}

/** A cron schedule that launches runs of a scenario (GET /schedules). */
export interface Schedule {
  id: string;
  name: string;
  scenario: string;
  scenarioVersion: number | null;
  cron: string;
  timezone: string;
  environment: string;
  agents: number;
  paused: boolean;
  createdAt: string;
  updatedAt: string;
}
