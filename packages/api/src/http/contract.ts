import { z } from 'zod';
import {
  CreateRunBody,
  CreateScheduleBody,
  EnvironmentBody,
  FitCapacityBody,
  LeakInput,
  PauseScheduleBody,
  PlanCapacityBody,
  SaveCorpusBody,
  SaveScenarioBody,
} from './bodies.js';
import {
  AgentList,
  CapacityFit,
  CapacityPlan,
  CorpusDetail,
  CorpusList,
  CorpusView,
  Environment,
  EnvironmentList,
  Health,
  LaunchCheck,
  LeakAccepted,
  PercentileDistribution,
  Problem,
  Run,
  RunDetail,
  RunEvent,
  RunLeaks,
  RunPage,
  RunReport,
  RunSeries,
  RunStates,
  SavedScenario,
  ScenarioList,
  ScenarioVersion,
  ScenarioVersions,
  Schedule,
  ScheduleList,
  StopAccepted,
  TargetMetrics,
} from './resources.js';

/**
 * What a caller needs to be allowed to do a route's work. The access-control issue gives
 * these to roles; `public` routes need no sign-in.
 */
export const Permission = z.enum([
  'public',
  'read',
  'scenario.write',
  'corpus.write',
  'run.launch',
  'run.stop',
  'schedule.write',
  'environment.write',
  'leak.report',
]);
export type Permission = z.infer<typeof Permission>;

/** A success body that is not JSON: a report or export in one of several formats. */
export interface Document {
  kind: 'document';
  /** format name (`?format=`) → content type */
  formats: Readonly<Record<string, string>>;
  /** the JSON format's body, when there is one */
  json?: z.ZodType;
}

/** A success body that is a stream of Server-Sent Events, each `data` one `event`. */
export interface EventStream {
  kind: 'event-stream';
  event: z.ZodType;
}

export type Body = z.ZodType | Document | EventStream | 'empty';

/** One route of the control API, declared once: docs, client and server all read it. */
export interface RouteContract {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** `/runs/:id/stop`: `:name` segments are path parameters */
  path: string;
  summary: string;
  permission: Permission;
  /** query parameters: each a string in the URL, documented with its meaning */
  query?: Readonly<Record<string, { description: string; required?: boolean }>>;
  body?: z.ZodType;
  /** the largest request body the route takes (default 4 MiB) */
  maxBodyBytes?: number;
  /** success status → body; errors are always problems */
  success: { status: 200 | 201 | 202 | 204; body: Body };
  /** the problem statuses the route answers besides 400/413/415/5xx */
  problems: readonly number[];
}

const route = <const R extends RouteContract>(contract: R): R => contract;

const REPORT_FORMATS = {
  json: 'application/json',
  md: 'text/markdown; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  hlog: 'text/plain; charset=utf-8',
  junit: 'application/xml',
} as const;

const PLAN_FORMATS = {
  json: 'application/json',
  md: 'text/markdown; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pdf: 'application/pdf',
  html: 'text/html; charset=utf-8',
} as const;

/** The largest corpus upload: ~200k requests is ~100 MB of JSON. */
export const MAX_CORPUS_BYTES = 128 * 1024 * 1024;

/** Every route of the control API. A route that is served must be here (tested). */
export const controlApi = {
  health: route({
    method: 'GET',
    path: '/health',
    summary: 'Liveness, the metadata backend and how many runs this control coordinates',
    permission: 'public',
    success: { status: 200, body: Health },
    problems: [],
  }),
  openApi: route({
    method: 'GET',
    path: '/openapi.json',
    summary: 'This document',
    permission: 'public',
    success: { status: 200, body: z.record(z.string(), z.unknown()) },
    problems: [],
  }),
  listEnvironments: route({
    method: 'GET',
    path: '/environments',
    summary: 'Target environments: where runs may go and whether they must be shadow-tagged',
    permission: 'read',
    success: { status: 200, body: EnvironmentList },
    problems: [],
  }),
  putEnvironment: route({
    method: 'PUT',
    path: '/environments/:name',
    summary: 'Create or replace an environment (its createdAt survives a replace)',
    permission: 'environment.write',
    body: EnvironmentBody,
    success: { status: 200, body: Environment },
    problems: [409, 422],
  }),
  saveScenario: route({
    method: 'POST',
    path: '/scenarios',
    summary:
      'Save a new version of a scenario (YAML or JSON source); nothing is saved when it does not validate',
    permission: 'scenario.write',
    body: SaveScenarioBody,
    success: { status: 201, body: SavedScenario },
    problems: [422],
  }),
  listScenarios: route({
    method: 'GET',
    path: '/scenarios',
    summary: 'Scenarios with their latest version',
    permission: 'read',
    success: { status: 200, body: ScenarioList },
    problems: [],
  }),
  scenarioVersions: route({
    method: 'GET',
    path: '/scenarios/:name/versions',
    summary: 'Every version of a scenario, oldest first',
    permission: 'read',
    success: { status: 200, body: ScenarioVersions },
    problems: [404, 422],
  }),
  getScenario: route({
    method: 'GET',
    path: '/scenarios/:name',
    summary: 'A scenario version: its source as written and its parsed form',
    permission: 'read',
    query: { version: { description: 'the version number; the latest when absent' } },
    success: { status: 200, body: ScenarioVersion },
    problems: [404, 422],
  }),
  launchRun: route({
    method: 'POST',
    path: '/runs',
    summary:
      "Launch a run: the scenario version, the environment's allowlist and shadow rule are checked first; nothing is created when a check fails",
    permission: 'run.launch',
    body: CreateRunBody,
    success: { status: 201, body: Run },
    problems: [404, 409, 422],
  }),
  checkRun: route({
    method: 'POST',
    path: '/runs/check',
    summary:
      'Check a launch without creating anything: what POST /runs would accept, or the problem it would answer',
    permission: 'run.launch',
    body: CreateRunBody,
    success: { status: 200, body: LaunchCheck },
    problems: [404, 422],
  }),
  listRuns: route({
    method: 'GET',
    path: '/runs',
    summary: 'Runs, newest first, a page at a time',
    permission: 'read',
    query: {
      scenario: { description: 'only runs of this scenario' },
      status: { description: 'only runs in this status' },
      from: { description: 'created at or after (ISO 8601 date or instant)' },
      to: { description: 'created before (ISO 8601 date or instant)' },
      limit: { description: 'page size' },
      cursor: { description: "the previous page's nextCursor" },
    },
    success: { status: 200, body: RunPage },
    problems: [422],
  }),
  getRun: route({
    method: 'GET',
    path: '/runs/:id',
    summary: 'A run with the totals stored so far (and its thresholds while it runs)',
    permission: 'read',
    success: { status: 200, body: RunDetail },
    problems: [404],
  }),
  runReport: route({
    method: 'GET',
    path: '/runs/:id/report',
    summary: 'Report of a finished run (an hlog exists from the first second)',
    permission: 'read',
    query: { format: { description: 'json (default), md, csv, hlog or junit' } },
    success: {
      status: 200,
      body: { kind: 'document', formats: REPORT_FORMATS, json: RunReport },
    },
    problems: [404, 409, 422],
  }),
  runPercentiles: route({
    method: 'GET',
    path: '/runs/:id/percentiles',
    summary:
      'Latency distribution of a run from its merged histogram at 0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999 and 100; an empty curve when nothing was recorded',
    permission: 'read',
    query: { step: { description: 'one step only' } },
    success: { status: 200, body: PercentileDistribution },
    problems: [404, 422],
  }),
  runSeries: route({
    method: 'GET',
    path: '/runs/:id/series',
    summary: 'Per-second points of a run; the percentiles of each second from its merged histogram',
    permission: 'read',
    query: {
      by: { description: 'total (default), step or agent' },
      from: { description: 'first epoch second' },
      to: { description: 'last epoch second' },
    },
    success: { status: 200, body: RunSeries },
    problems: [404, 422],
  }),
  reportLeak: route({
    method: 'POST',
    path: '/runs/:id/leaks',
    summary: "A service's shadow SDK reports a write it refused: recorded, and the run is stopped",
    permission: 'leak.report',
    body: LeakInput,
    success: { status: 202, body: LeakAccepted },
    problems: [404, 422],
  }),
  runLeaks: route({
    method: 'GET',
    path: '/runs/:id/leaks',
    summary: "A run's shadow leak reports",
    permission: 'read',
    success: { status: 200, body: RunLeaks },
    problems: [404],
  }),
  runTargetMetrics: route({
    method: 'GET',
    path: '/runs/:id/target-metrics',
    summary: "What control scraped from the environment's metricsTargets each second of the run",
    permission: 'read',
    success: { status: 200, body: TargetMetrics },
    problems: [404],
  }),
  runEvents: route({
    method: 'GET',
    path: '/runs/:id/events',
    summary:
      'Server-Sent Events: one `update` a second, then `end`; the first event carries the last 300 s, later ones the last 5 s',
    permission: 'read',
    success: { status: 200, body: { kind: 'event-stream', event: RunEvent } },
    problems: [404],
  }),
  stopRun: route({
    method: 'POST',
    path: '/runs/:id/stop',
    summary: 'Stop a run: every agent within a second',
    permission: 'run.stop',
    success: { status: 202, body: StopAccepted },
    problems: [404, 409],
  }),
  listAgents: route({
    method: 'GET',
    path: '/agents',
    summary: 'Connected agents and their last heartbeats',
    permission: 'read',
    success: { status: 200, body: AgentList },
    problems: [],
  }),
  runStates: route({
    method: 'GET',
    path: '/run-states',
    summary: 'The run lifecycle: each status and the statuses it may move to',
    permission: 'public',
    success: { status: 200, body: RunStates },
    problems: [],
  }),
  listSchedules: route({
    method: 'GET',
    path: '/schedules',
    summary: 'Cron schedules that launch runs',
    permission: 'read',
    success: { status: 200, body: ScheduleList },
    problems: [],
  }),
  createSchedule: route({
    method: 'POST',
    path: '/schedules',
    summary: 'Create a cron schedule',
    permission: 'schedule.write',
    body: CreateScheduleBody,
    success: { status: 201, body: Schedule },
    problems: [404, 409, 422],
  }),
  deleteSchedule: route({
    method: 'DELETE',
    path: '/schedules/:id',
    summary: 'Remove a schedule',
    permission: 'schedule.write',
    success: { status: 204, body: 'empty' },
    problems: [404],
  }),
  pauseSchedule: route({
    method: 'POST',
    path: '/schedules/:id/pause',
    summary: 'Pause ({ paused: true }, the default) or resume a schedule',
    permission: 'schedule.write',
    body: PauseScheduleBody,
    success: { status: 200, body: Schedule },
    problems: [404, 422],
  }),
  saveCorpus: route({
    method: 'POST',
    path: '/corpora',
    summary: 'Store a replay corpus (as `loadline import --out` writes it) as a new version',
    permission: 'corpus.write',
    body: SaveCorpusBody,
    maxBodyBytes: MAX_CORPUS_BYTES,
    success: { status: 201, body: CorpusView },
    problems: [422],
  }),
  listCorpora: route({
    method: 'GET',
    path: '/corpora',
    summary: 'Stored replay corpora with their latest version and the top of their mix',
    permission: 'read',
    success: { status: 200, body: CorpusList },
    problems: [],
  }),
  getCorpus: route({
    method: 'GET',
    path: '/corpora/:name',
    summary: 'A corpus version with its meta and mix',
    permission: 'read',
    query: {
      version: { description: 'the version number; the latest when absent' },
      requests: { description: '1 adds the whole corpus with its requests' },
    },
    success: { status: 200, body: CorpusDetail },
    problems: [404, 422],
  }),
  fitCapacity: route({
    method: 'POST',
    path: '/capacity/model',
    summary:
      "Fit a capacity model from stored runs (what control scraped from the targets and the agents' per-step seconds)",
    permission: 'read',
    body: FitCapacityBody,
    success: { status: 200, body: CapacityFit },
    problems: [404, 422, 503],
  }),
  planCapacity: route({
    method: 'POST',
    path: '/capacity/plan',
    summary: 'Plan machines per service for a forecast on a model: the plan, or its report',
    permission: 'read',
    query: { format: { description: 'json (default), md, csv, xlsx, pdf or html' } },
    body: PlanCapacityBody,
    success: {
      status: 200,
      body: { kind: 'document', formats: PLAN_FORMATS, json: CapacityPlan },
    },
    problems: [422, 503],
  }),
} as const satisfies Record<string, RouteContract>;

export type ControlApi = typeof controlApi;
export type RouteName = keyof ControlApi;

/** The JSON success body a route answers with. */
export type ResponseOf<R extends RouteContract> = R['success']['body'] extends z.ZodType
  ? z.output<R['success']['body']>
  : R['success']['body'] extends { json: z.ZodType }
    ? z.output<R['success']['body']['json']>
    : undefined;

/** The body a caller sends (defaults may be left out). */
export type BodyOf<R extends RouteContract> = R['body'] extends z.ZodType
  ? z.input<R['body']>
  : undefined;

export { Problem };
