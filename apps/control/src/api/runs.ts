import { CreateRunBody, controlApi, LeakInput, RunRateBody, SeriesBy } from '@loadline/api/http';
import { percentileCurve } from '@loadline/histogram';
import { RUN_TRANSITIONS } from '@loadline/metadata';
import { listAgents } from '@loadline/queue';
import { verifiedLeak } from '../access/leak-signature.js';
import { actorOf, requirePermission } from '../access/principal.js';
import { RateChangeError } from '../coordinator.js';
import { runEvents } from '../events.js';
import { HttpProblem, parseBody, type Router } from '../http.js';
import { contentTypeOf, REPORT_FORMATS, type ReportFormat, renderReport } from '../report.js';
import type { RouteDeps } from './deps.js';
import { fieldProblem, guarded } from './errors.js';
import { checkLaunch, launchRun } from './launch.js';
import { dateQuery } from './query.js';
import { runViewOf, runViews } from './views.js';

/** Percentiles for a log-scale distribution chart (x = 1/(1-p)): dense toward the tail. */
export const DISTRIBUTION_PERCENTILES = [
  0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100,
] as const;

/** `?from=`/`?to=` of a series: epoch seconds, or absent. */
function secondQuery(query: URLSearchParams, name: 'from' | 'to'): number | undefined {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw fieldProblem(
      'invalid query',
      name,
      `${name}: "${text}" is not an epoch second`,
      'not an epoch second',
    );
  }
  return value;
}

/** Launching, listing, reading, reporting and stopping runs; leaks; agents. */
export function registerRunRoutes(router: Router, deps: RouteDeps): void {
  const { metadata, store, coordinator } = deps;
  router.route(controlApi.launchRun, async ({ body, principal, audit }) =>
    guarded(async () => {
      const run = await launchRun(deps, parseBody(CreateRunBody, body), {
        principal: principal!,
      });
      audit.target = `run:${run.id}`;
      audit.detail = {
        scenario: `${run.scenario}@${run.scenarioVersion}`,
        environment: run.environment,
        agents: run.agentsRequested,
        ...(run.status === 'awaiting-approval' ? { awaitingApproval: true } : {}),
      };
      return { body: await runViewOf(metadata, run) };
    }),
  );
  router.route(controlApi.checkRun, async ({ body, principal }) =>
    guarded(async () => {
      // What POST /runs would do, without creating anything: the console asks before it
      // offers Launch, and shows the refusal with its reason.
      const checked = await checkLaunch(deps, parseBody(CreateRunBody, body), principal);
      return {
        body: {
          ok: true,
          scenario: checked.stored.name,
          version: checked.stored.version,
          environment: checked.environmentName,
          target: checked.scenario.target,
          agents: checked.agents,
          shadow: checked.scenario.shadow,
          awaitsApproval: checked.environment.protected,
        },
      };
    }),
  );
  router.route(controlApi.listRuns, async ({ query }) =>
    guarded(async () => {
      const limit = query.get('limit');
      const page = await metadata.listRuns({
        ...dateQuery(query, 'from'),
        ...dateQuery(query, 'to'),
        ...(query.get('scenario') ? { scenario: query.get('scenario') as string } : {}),
        ...(query.get('status') ? { status: query.get('status') as never } : {}),
        ...(query.get('cursor') ? { cursor: query.get('cursor') as string } : {}),
        ...(limit ? { limit: Number(limit) } : {}),
      });
      return { body: { ...page, runs: await runViews(metadata, page.runs) } };
    }),
  );
  router.route(controlApi.getRun, async ({ params }) =>
    guarded(async () => {
      const run = await metadata.getRun(params.id as string);
      const totals = await store.runTotals(run.id);
      const thresholds = coordinator.liveThresholds(run.id);
      const [coordination, rateChanges] = await Promise.all([
        metadata.getCoordination(run.id),
        metadata.listRateChanges(run.id),
      ]);
      // The coordination carries the run's shards; a run never coordinated has its own.
      const shards = coordination?.shards ?? (await metadata.listShards(run.id));
      return {
        body: {
          ...(await runViewOf(metadata, run)),
          live: { ...totals, ...(thresholds ? { thresholds } : {}) },
          rateMultiplier: coordination?.rateMultiplier ?? 1,
          rateChanges: rateChanges.map(({ atMs, rateMultiplier, changedBy }) => ({
            atMs,
            rateMultiplier,
            changedBy,
          })),
          // Who ran what, and how far each agent's clock was from control's.
          shards: shards.map((s) => ({
            shard: s.shardIndex,
            agentId: s.agentId,
            state: s.state,
            requests: s.requests,
            clockOffsetMs: s.clockOffsetMs,
          })),
        },
      };
    }),
  );
  router.route(controlApi.runReport, async ({ params, query }) =>
    guarded(async () => {
      const format = (query.get('format') ?? 'json') as ReportFormat;
      if (!REPORT_FORMATS.includes(format)) {
        throw fieldProblem(
          'unknown report format',
          'format',
          `format "${format}" is not one of ${REPORT_FORMATS.join(', ')}`,
          `expected ${REPORT_FORMATS.join('|')}`,
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
  router.route(controlApi.runPercentiles, async ({ params, query }) =>
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
  router.route(controlApi.runSeries, async ({ params, query }) =>
    guarded(async () => {
      const run = await metadata.getRun(params.id as string);
      const by = SeriesBy.safeParse(query.get('by') ?? 'total');
      if (!by.success) {
        throw fieldProblem(
          'invalid query',
          'by',
          `by: "${query.get('by')}" is not one of total, step, agent`,
          'expected total|step|agent',
        );
      }
      const range = { fromSecond: secondQuery(query, 'from'), toSecond: secondQuery(query, 'to') };
      const series =
        by.data === 'total'
          ? { total: await store.timeSeries(run.id, range) }
          : await store.timeSeriesBy(run.id, by.data, range);
      return { body: { runId: run.id, by: by.data, series } };
    }),
  );
  router.route(controlApi.reportLeak, async (ctx) =>
    guarded(async () => {
      // A service's shadow SDK refused a write that would have reached production: keep the
      // evidence and stop the run (every agent within a second or two). Only a service that
      // holds the run's environment key can say so: the report is signed with it.
      const run = await metadata.getRun(ctx.params.id as string);
      ctx.audit.target = `run:${run.id}`;
      const input = parseBody(LeakInput, ctx.body);
      verifiedLeak(deps, ctx, run.environment);
      ctx.audit.actor = {
        actor: `service:${input.service} (shadow key of ${run.environment})`,
        actorKind: 'service',
      };
      const leak = await metadata.recordLeak(run.id, input);
      ctx.audit.detail = { kind: leak.kind, leakTarget: leak.target };
      const stopping = await coordinator.stop(
        run.id,
        `shadow leak: ${leak.kind} ${leak.target} from ${leak.service}`,
      );
      deps.log?.(
        `run ${run.id}: shadow leak reported by ${JSON.stringify(leak.service)}: ${leak.kind} ${JSON.stringify(leak.target)}`,
      );
      return { body: { ...leak, runStopping: stopping } };
    }),
  );
  router.route(controlApi.runLeaks, async ({ params }) =>
    guarded(async () => {
      const run = await metadata.getRun(params.id as string);
      return { body: { runId: run.id, leaks: await metadata.listLeaks(run.id) } };
    }),
  );
  router.route(controlApi.runTargetMetrics, async ({ params }) =>
    guarded(async () => {
      const run = await metadata.getRun(params.id as string);
      return { body: { runId: run.id, rows: await store.targetMetrics(run.id) } };
    }),
  );
  router.route(controlApi.runEvents, runEvents(deps));
  router.route(controlApi.stopRun, async ({ params, principal, audit }) =>
    guarded(async () => {
      const run = await metadata.getRun(params.id as string);
      requirePermission(principal, 'run.stop', run.environment);
      audit.target = `run:${run.id}`;
      const by = principal.kind === 'user' ? principal.name : `${principal.name}'s token`;
      if (!(await coordinator.stop(run.id, `stopped by ${by}`))) {
        throw new HttpProblem(409, 'run is not active', `run ${run.id} is ${run.status}`);
      }
      return { body: { runId: run.id, stopping: true } };
    }),
  );
  router.route(controlApi.setRunRate, async ({ params, body, principal, audit }) =>
    guarded(async () => {
      const run = await metadata.getRun(params.id as string);
      // The same right as launching there: a rate change is as much load as a launch.
      requirePermission(principal, 'run.launch', run.environment);
      const { rateMultiplier } = parseBody(RunRateBody, body);
      audit.target = `run:${run.id}`;
      audit.detail = { rateMultiplier };
      const environment = await metadata.getEnvironment(run.environment);
      try {
        const change = await coordinator.setRate(
          run.id,
          rateMultiplier,
          actorOf(principal!).actor,
          environment.maxRate,
        );
        return { body: { runId: run.id, rateMultiplier, ...change } };
      } catch (error) {
        if (!(error instanceof RateChangeError)) throw error;
        if (error.status === 409) throw new HttpProblem(409, 'run is not running', error.message);
        throw fieldProblem('rate not allowed', 'rateMultiplier', error.message, 'not allowed');
      }
    }),
  );
  router.route(controlApi.listAgents, async () =>
    guarded(async () => ({
      body: { agents: await listAgents(deps.redis, deps.names, deps.agents) },
    })),
  );
  router.route(controlApi.runStates, async () => ({ body: RUN_TRANSITIONS }));
}
