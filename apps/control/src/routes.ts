import { hostMatcher } from '@loadline/api';
import { percentileCurve } from '@loadline/histogram';
import {
  EnvironmentInput,
  InvalidInputError,
  InvalidTransitionError,
  LeakInput,
  type MetadataStore,
  NotFoundError,
  RUN_TRANSITIONS,
} from '@loadline/metadata';
import { listAgents, type Redis, type RedisNames } from '@loadline/queue';
import { parseDuration, parseScenario, Scenario } from '@loadline/scenario';
import type { ResultStore } from '@loadline/store';
import { z } from 'zod';
import { registerCapacityRoutes } from './capacity-routes.js';
import type { RunCoordinator } from './coordinator.js';
import { loadReplayCorpus, registerCorpusRoutes } from './corpora.js';
import { runEvents } from './events.js';
import { HttpProblem, parseBody, Router } from './http.js';
import { openApiDocument } from './openapi.js';
import { contentTypeOf, REPORT_FORMATS, type ReportFormat, renderReport } from './report.js';
import type { ScheduleDriver } from './schedules.js';

export const SaveScenarioBody = z.strictObject({
  /** the scenario as written (YAML or JSON text) */
  source: z.string().min(1).max(1_000_000),
  /** feeder rows read by the client from the files the scenario names */
  feederRows: z.record(z.string(), z.array(z.record(z.string(), z.string()))).default({}),
});

export const CreateRunBody = z.strictObject({
  scenario: z.string().min(1),
  version: z.number().int().positive().optional(),
  environment: z.string().min(1).optional(),
  agents: z.number().int().positive().max(10_000).optional(),
  overrides: z
    .strictObject({
      duration: z.string().optional(),
      rateMultiplier: z.number().positive().optional(),
    })
    .default({}),
});

/**
 * Creates and launches a run: the scenario version, the environment's allowlist and its
 * shadow rule are checked first; nothing is created when any check fails.
 */
export async function checkLaunch(
  deps: Pick<RouteDeps, 'metadata'>,
  input: z.infer<typeof CreateRunBody>,
) {
  const { metadata } = deps;
  const stored = await metadata.getScenario(input.scenario, input.version);
  const parsedForm = stored.parsed as {
    scenario: unknown;
    feederRows: Record<string, Array<Record<string, string>>>;
  };
  const scenario = Scenario.parse(parsedForm.scenario);
  const environmentName = input.environment ?? scenario.environment;
  const environment = await metadata.getEnvironment(environmentName);
  if (!hostMatcher(environment.allowedHosts)(scenario.target)) {
    throw new HttpProblem(
      422,
      'target not allowed',
      `target ${new URL(scenario.target).host} is not on environment "${environmentName}"'s allowlist (${environment.allowedHosts.join(', ')})`,
      { errors: [{ field: 'environment', message: 'target host not allowed' }] },
    );
  }
  if (environment.requiresShadow && !scenario.shadow) {
    throw new HttpProblem(
      422,
      'shadow required',
      `environment "${environmentName}" requires shadow: true`,
      { errors: [{ field: 'environment', message: 'requires shadow: true' }] },
    );
  }
  const agents = input.agents ?? scenario.agents;
  if (
    input.overrides.duration !== undefined &&
    parseDuration(input.overrides.duration) === undefined
  ) {
    throw new HttpProblem(
      422,
      'invalid override',
      `duration "${input.overrides.duration}" is not a duration (e.g. 30s, 5m)`,
      {
        errors: [{ field: 'overrides.duration', message: 'not a duration' }],
      },
    );
  }
  const probe = scenario.capacityProbe;
  if (probe && !environment.metricsTargets.some((t) => t.service === probe.service)) {
    // Without the service's /metrics nothing could end the ramp: refuse rather than overload.
    throw new HttpProblem(
      422,
      'capacity probe without metrics',
      `environment "${environmentName}" lists no metricsTargets for service "${probe.service}": the probe could not see its SLO break`,
      {
        errors: [
          { field: 'capacityProbe.service', message: "not among the environment's metricsTargets" },
        ],
      },
    );
  }
  // A replay's corpus is loaded (and sized against the agents) here, so a check says what
  // the launch would say.
  const corpus = await loadReplayCorpus(metadata, scenario, agents, input.overrides.rateMultiplier);
  return { stored, scenario, parsedForm, environment, environmentName, agents, corpus };
}

export async function launchRun(
  deps: RouteDeps,
  input: z.infer<typeof CreateRunBody>,
  scheduleId?: string,
) {
  const { metadata, coordinator } = deps;
  const { stored, scenario, parsedForm, environment, environmentName, agents, corpus } =
    await checkLaunch(deps, input);
  const run = await metadata.createRun({
    scenario: input.scenario,
    version: stored.version,
    environment: environmentName,
    agents,
    options: { overrides: input.overrides },
    ...(scheduleId === undefined ? {} : { scheduleId }),
  });
  await coordinator.launch({
    run,
    scenario,
    feederRows: parsedForm.feederRows ?? {},
    allowedHosts: environment.allowedHosts,
    overrides: input.overrides,
    shadowSecret: deps.shadowSecretFor(environmentName),
    metricsTargets: environment.metricsTargets,
    ...(corpus ? { corpus } : {}),
  });
  return metadata.getRun(run.id);
}

export const CreateScheduleBody = z.strictObject({
  name: z.string().min(1),
  scenario: z.string().min(1),
  /** pin a version; by default each firing runs the latest version */
  version: z.number().int().positive().optional(),
  cron: z.string().min(1),
  timezone: z.string().default('UTC'),
  environment: z.string().optional(),
  agents: z.number().int().positive().max(10_000).optional(),
  overrides: z
    .strictObject({
      duration: z.string().optional(),
      rateMultiplier: z.number().positive().optional(),
    })
    .default({}),
});

/** Percentiles for a log-scale distribution chart (x = 1/(1-p)): dense toward the tail. */
export const DISTRIBUTION_PERCENTILES = [
  0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100,
] as const;

export interface RouteDeps {
  metadata: MetadataStore;
  store: ResultStore;
  redis: Redis;
  names: RedisNames;
  coordinator: RunCoordinator;
  schedules: ScheduleDriver;
  /** the key shadow tags of runs in environment `name` are signed with */
  shadowSecretFor: (name: string) => string;
  log?: (line: string) => void;
}

function translate(error: unknown): never {
  if (error instanceof HttpProblem) throw error;
  if (error instanceof NotFoundError) throw new HttpProblem(404, 'not found', error.message);
  if (error instanceof InvalidInputError) {
    throw new HttpProblem(422, 'invalid input', error.message, { errors: error.issues });
  }
  if (error instanceof InvalidTransitionError)
    throw new HttpProblem(409, 'conflict', error.message);
  throw error;
}

async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    translate(error);
  }
}

export function buildRoutes(deps: RouteDeps): Router {
  const { metadata, store, coordinator } = deps;
  const router = new Router();

  router.add('GET', '/health', async () => ({
    body: { ok: true, metadata: metadata.kind, activeRuns: coordinator.activeRuns.length },
  }));
  router.add('GET', '/openapi.json', async () => ({ body: openApiDocument() }));

  router.add('GET', '/environments', async () => ({
    body: { environments: await metadata.listEnvironments() },
  }));
  router.add('PUT', '/environments/:name', async ({ params, body }) =>
    guarded(async () => {
      // The name comes from the path; the store validates the whole environment.
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        throw new HttpProblem(
          422,
          'invalid request body',
          'expected an object { baseUrls, allowedHosts, requiresShadow }',
        );
      }
      const input = parseBody(EnvironmentInput, { ...(body as object), name: params.name });
      return { body: await metadata.upsertEnvironment(input) };
    }),
  );

  router.add('POST', '/scenarios', async ({ body }) =>
    guarded(async () => {
      const { source, feederRows } = parseBody(SaveScenarioBody, body);
      const parsed = parseScenario(source);
      if (!parsed.ok) {
        throw new HttpProblem(
          422,
          'invalid scenario',
          `${parsed.errors.length} problem(s); nothing was saved`,
          {
            errors: parsed.errors,
          },
        );
      }
      // A feeder whose file is unchanged and that comes without rows keeps the rows of the
      // latest version: an edit in the console need not upload 10,000 users again.
      const previous = await metadata.getScenario(parsed.scenario.name).catch((error) => {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      });
      const previousForm = previous?.parsed as
        | {
            scenario?: { feeders?: Record<string, { file?: string }> };
            feederRows?: Record<string, Array<Record<string, string>>>;
          }
        | undefined;
      for (const [name, feeder] of Object.entries(parsed.scenario.feeders)) {
        const kept = previousForm?.feederRows?.[name];
        if (
          (feederRows[name] ?? []).length === 0 &&
          kept &&
          kept.length > 0 &&
          previousForm?.scenario?.feeders?.[name]?.file === feeder.file
        ) {
          feederRows[name] = kept;
        }
      }
      for (const name of Object.keys(parsed.scenario.feeders)) {
        if ((feederRows[name] ?? []).length === 0) {
          throw new HttpProblem(
            422,
            'invalid scenario',
            `feeder "${name}" has no rows; send them in feederRows.${name}`,
            {
              errors: [{ path: `feederRows.${name}`, message: 'no rows' }],
            },
          );
        }
      }
      const version = await metadata.saveScenarioVersion(parsed.scenario.name, source, {
        scenario: JSON.parse(JSON.stringify(parsed.scenario)),
        feederRows,
      });
      return { status: 201, body: { name: parsed.scenario.name, version: version.version } };
    }),
  );
  router.add('GET', '/scenarios', async () => ({
    body: { scenarios: await metadata.listScenarios() },
  }));
  router.add('GET', '/scenarios/:name/versions', async ({ params }) =>
    guarded(async () => ({
      body: { name: params.name, versions: await metadata.listVersions(params.name as string) },
    })),
  );
  router.add('GET', '/scenarios/:name', async ({ params, query }) =>
    guarded(async () => {
      const version = query.get('version');
      return {
        body: await metadata.getScenario(
          params.name as string,
          version === null ? undefined : Number(version),
        ),
      };
    }),
  );

  router.add('POST', '/runs', async ({ body }) =>
    guarded(async () => {
      const run = await launchRun(deps, parseBody(CreateRunBody, body));
      return { status: 201, body: run };
    }),
  );
  router.add('POST', '/runs/check', async ({ body }) =>
    guarded(async () => {
      // What POST /runs would do, without creating anything: the console asks before it
      // offers Launch, and shows the refusal with its reason.
      const checked = await checkLaunch(deps, parseBody(CreateRunBody, body));
      return {
        body: {
          ok: true,
          scenario: checked.stored.name,
          version: checked.stored.version,
          environment: checked.environmentName,
          target: checked.scenario.target,
          agents: checked.agents,
          shadow: checked.scenario.shadow,
        },
      };
    }),
  );
  router.add('GET', '/runs', async ({ query }) =>
    guarded(async () => {
      const limit = query.get('limit');
      const date = (name: 'from' | 'to') => {
        const text = query.get(name);
        if (!text) return {};
        const value = new Date(text);
        if (Number.isNaN(value.getTime())) {
          throw new HttpProblem(
            422,
            'invalid query',
            `${name}: "${text}" is not a date (ISO 8601, e.g. 2026-11-11 or 2026-11-11T00:00:00Z)`,
            {
              errors: [{ field: name, message: 'not a date' }],
            },
          );
        }
        return { [name]: value };
      };
      const page = await metadata.listRuns({
        ...date('from'),
        ...date('to'),
        ...(query.get('scenario') ? { scenario: query.get('scenario') as string } : {}),
        ...(query.get('status') ? { status: query.get('status') as never } : {}),
        ...(query.get('cursor') ? { cursor: query.get('cursor') as string } : {}),
        ...(limit ? { limit: Number(limit) } : {}),
      });
      return { body: page };
    }),
  );
  router.add('GET', '/runs/:id', async ({ params }) =>
    guarded(async () => {
      const run = await metadata.getRun(params.id as string);
      const totals = await store.runTotals(run.id);
      const thresholds = coordinator.liveThresholds(run.id);
      return { body: { ...run, live: { ...totals, ...(thresholds ? { thresholds } : {}) } } };
    }),
  );
  router.add('GET', '/runs/:id/report', async ({ params, query }) =>
    guarded(async () => {
      const format = (query.get('format') ?? 'json') as ReportFormat;
      if (!REPORT_FORMATS.includes(format)) {
        throw new HttpProblem(
          422,
          'unknown report format',
          `format "${format}" is not one of ${REPORT_FORMATS.join(', ')}`,
          {
            errors: [{ field: 'format', message: `expected ${REPORT_FORMATS.join('|')}` }],
          },
        );
      }
      const run = await metadata.getRun(params.id as string);
      if (!run.summary && format !== 'hlog') {
        throw new HttpProblem(
          409,
          'run not finished',
          `run ${run.id} is ${run.status}; its report exists once it ends`,
        );
      }
      return { body: await renderReport(run, store, format), contentType: contentTypeOf(format) };
    }),
  );
  router.add('GET', '/runs/:id/percentiles', async ({ params, query }) =>
    guarded(async () => {
      const run = await metadata.getRun(params.id as string);
      const step = query.get('step') || null;
      if (step !== null && (step.length > 256 || step.includes('\0'))) {
        throw new HttpProblem(422, 'invalid step', 'a step name is at most 256 characters', {
          errors: [{ field: 'step', message: 'invalid step name' }],
        });
      }
      const histogram = await store.mergedHistogram(run.id, step ? { steps: [step] } : {});
      return {
        body: {
          runId: run.id,
          step,
          count: histogram.totalCount,
          curve:
            histogram.totalCount === 0 ? [] : percentileCurve(histogram, DISTRIBUTION_PERCENTILES),
        },
      };
    }),
  );
  router.add('GET', '/runs/:id/series', async ({ params, query }) =>
    guarded(async () => {
      const run = await metadata.getRun(params.id as string);
      const by = query.get('by') ?? 'total';
      if (by !== 'total' && by !== 'step' && by !== 'agent') {
        throw new HttpProblem(
          422,
          'invalid query',
          `by: "${by}" is not one of total, step, agent`,
          {
            errors: [{ field: 'by', message: 'expected total|step|agent' }],
          },
        );
      }
      const second = (name: 'from' | 'to') => {
        const text = query.get(name);
        if (text === null || text === '') return undefined;
        const value = Number(text);
        if (!Number.isInteger(value) || value < 0) {
          throw new HttpProblem(422, 'invalid query', `${name}: "${text}" is not an epoch second`, {
            errors: [{ field: name, message: 'not an epoch second' }],
          });
        }
        return value;
      };
      const range = { fromSecond: second('from'), toSecond: second('to') };
      const series =
        by === 'total'
          ? { total: await store.timeSeries(run.id, range) }
          : await store.timeSeriesBy(run.id, by, range);
      return { body: { runId: run.id, by, series } };
    }),
  );
  router.add('POST', '/runs/:id/leaks', async ({ params, body }) =>
    guarded(async () => {
      // A service's shadow SDK refused a write that would have reached production: keep the
      // evidence and stop the run (every agent within a second or two).
      const run = await metadata.getRun(params.id as string);
      const leak = await metadata.recordLeak(run.id, parseBody(LeakInput, body));
      const stopping = await coordinator.stop(
        run.id,
        `shadow leak: ${leak.kind} ${leak.target} from ${leak.service}`,
      );
      deps.log?.(
        `run ${run.id}: shadow leak reported by ${leak.service}: ${leak.kind} ${leak.target}`,
      );
      return { status: 202, body: { ...leak, runStopping: stopping } };
    }),
  );
  router.add('GET', '/runs/:id/leaks', async ({ params }) =>
    guarded(async () => {
      const run = await metadata.getRun(params.id as string);
      return { body: { runId: run.id, leaks: await metadata.listLeaks(run.id) } };
    }),
  );
  registerCapacityRoutes(router, deps);
  router.add('GET', '/runs/:id/target-metrics', async ({ params }) =>
    guarded(async () => {
      const run = await metadata.getRun(params.id as string);
      return { body: { runId: run.id, rows: await store.targetMetrics(run.id) } };
    }),
  );
  router.add('GET', '/runs/:id/events', runEvents(deps));
  router.add('POST', '/runs/:id/stop', async ({ params }) =>
    guarded(async () => {
      const run = await metadata.getRun(params.id as string);
      if (!(await coordinator.stop(run.id, 'stopped from the API'))) {
        throw new HttpProblem(409, 'run is not active', `run ${run.id} is ${run.status}`);
      }
      return { status: 202, body: { runId: run.id, stopping: true } };
    }),
  );
  router.add('GET', '/agents', async () => ({
    body: { agents: await listAgents(deps.redis, deps.names) },
  }));
  router.add('GET', '/run-states', async () => ({ body: RUN_TRANSITIONS }));

  router.add('GET', '/schedules', async () => ({
    body: { schedules: await metadata.listSchedules() },
  }));
  router.add('POST', '/schedules', async ({ body }) =>
    guarded(async () => {
      const input = parseBody(CreateScheduleBody, body);
      const stored = await metadata.getScenario(input.scenario);
      const schedule = await metadata.createSchedule({
        name: input.name,
        scenario: input.scenario,
        version: input.version ?? null,
        cron: input.cron,
        timezone: input.timezone,
        environment:
          input.environment ??
          (stored.parsed as { scenario: { environment?: string } }).scenario.environment ??
          'local',
        agents: input.agents ?? 1,
        options: { overrides: input.overrides },
      });
      await deps.schedules.upsert(schedule);
      return { status: 201, body: schedule };
    }),
  );
  router.add('DELETE', '/schedules/:id', async ({ params }) =>
    guarded(async () => {
      const schedule = await metadata.getSchedule(params.id as string);
      await deps.schedules.remove(schedule.id);
      await metadata.deleteSchedule(schedule.id);
      return undefined;
    }),
  );
  router.add('POST', '/schedules/:id/pause', async ({ params, body }) =>
    guarded(async () => {
      const { paused } = parseBody(
        z.strictObject({ paused: z.boolean().default(true) }),
        body ?? {},
      );
      const schedule = await metadata.pauseSchedule(params.id as string, paused);
      if (paused) await deps.schedules.remove(schedule.id);
      else await deps.schedules.upsert(schedule);
      return { body: schedule };
    }),
  );
  registerCorpusRoutes(router, deps);
  return router;
}
