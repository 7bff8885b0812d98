// The capacity model over HTTP, for the console: fit a model from stored runs (what control
// scraped from the targets plus the agents' per-step seconds), plan a forecast on a model,
// and export the plan as a report. The report package (exceljs, Chromium for PDF) loads
// only when asked, so a control that never plans never maps it.
import { controlApi, FitCapacityBody, PlanCapacityBody, WeightProbeBody } from '@loadline/api/http';
import { buildModel, measurementsFromRuns, planFromModel } from '@loadline/capacity';
import { NotFoundError } from '@loadline/metadata';
import { actorOf, requirePermission } from './access/principal.js';
import type { RouteDeps } from './api/deps.js';
import { fieldProblem, guarded, problemOf } from './api/errors.js';
import { HttpProblem, parseBody, type Router } from './http.js';

const FORMATS = controlApi.planCapacity.success.body.formats;
type Format = keyof typeof FORMATS;

export function registerCapacityRoutes(
  router: Router,
  deps: Pick<RouteDeps, 'metadata' | 'store' | 'probes'>,
) {
  router.route(controlApi.startWeightProbe, async ({ body, principal, audit }) =>
    guarded(async () => {
      const input = parseBody(WeightProbeBody, body);
      // Moving a live service's traffic is as much load as a launch there.
      requirePermission(principal, 'run.launch', input.environment);
      const probe = await deps.probes.start(input, actorOf(principal).actor);
      audit.target = `probe:${probe.id}`;
      audit.detail = {
        environment: input.environment,
        service: input.service,
        instance: input.instance,
      };
      return { body: probe };
    }),
  );
  router.route(controlApi.getWeightProbe, async ({ params }) =>
    guarded(async () => ({ body: await deps.probes.get(params.id as string) })),
  );
  router.route(controlApi.stopWeightProbe, async ({ params, principal, audit }) =>
    guarded(async () => {
      const probe = await deps.probes.get(params.id as string);
      requirePermission(principal, 'run.stop', probe.environment);
      audit.target = `probe:${probe.id}`;
      const by = principal.kind === 'user' ? principal.name : `${principal.name}'s token`;
      return { body: await deps.probes.stop(probe.id, `stopped by ${by}`) };
    }),
  );

  router.route(controlApi.fitCapacity, async ({ body }) => {
    const input = parseBody(FitCapacityBody, body);
    const runs = [];
    for (const id of input.runs) {
      // An unknown run is the caller's 404; a database outage is a 503, never "no run".
      const run = await deps.metadata.getRun(id).catch((error: unknown) => {
        if (error instanceof NotFoundError) {
          throw new HttpProblem(404, 'not found', `no run ${id}`, {
            errors: [{ field: 'runs', message: `no run ${id}` }],
          });
        }
        throw problemOf(error);
      });
      runs.push({
        runId: run.id,
        targetMetrics: await deps.store.targetMetrics(run.id),
        steps: await deps.store.timeSeriesBy(run.id, 'step'),
      });
    }
    const measurements = measurementsFromRuns(runs, {
      cores: input.cores,
      slo: input.slo,
      ...(input.entrySteps ? { entrySteps: input.entrySteps } : {}),
      ...(input.levelSeconds ? { levelSeconds: input.levelSeconds } : {}),
    });
    if (Object.keys(measurements.services).length === 0) {
      throw new HttpProblem(
        422,
        'no target metrics',
        `nothing was scraped for ${input.runs.join(', ')}: list the targets' /metrics URLs under metricsTargets in the run's environment and run again`,
        { errors: [{ field: 'runs', message: 'no target metrics stored' }] },
      );
    }
    try {
      const model = await buildModel(measurements, {
        source: `runs ${input.runs.join(',')}`,
        defaultRun: input.runs.join(','),
      });
      return { body: { model, measurements } };
    } catch (error) {
      throw new HttpProblem(422, 'cannot fit', (error as Error).message);
    }
  });

  router.route(controlApi.planCapacity, async ({ body, query }) => {
    const input = parseBody(PlanCapacityBody, body);
    const format = (query.get('format') ?? 'json') as Format;
    if (!(format in FORMATS)) {
      throw fieldProblem(
        'unknown report format',
        'format',
        `format "${format}" is not one of ${Object.keys(FORMATS).join(', ')}`,
        `expected ${Object.keys(FORMATS).join('|')}`,
      );
    }
    const report = await import('@loadline/report');
    const plan = planFromModel(input.model, input.forecast);
    const contentType = FORMATS[format];
    switch (format) {
      case 'json':
        return { body: plan };
      case 'md':
        return { body: report.planToMarkdown(plan, input.model), contentType };
      case 'csv':
        return { body: report.planToCsv(plan, input.model), contentType };
      case 'html':
        return { body: report.planToHtml(plan, input.model), contentType };
      case 'xlsx':
        return { body: await report.planToXlsx(plan, input.model), contentType };
      case 'pdf':
        try {
          return {
            body: await report.planToPdf(report.planToHtml(plan, input.model)),
            contentType,
          };
        } catch (error) {
          if (error instanceof report.BrowserBusyError) {
            // Every render slot and wait place is taken: come back shortly.
            throw new HttpProblem(
              503,
              'PDF renderer busy',
              error.message,
              {},
              { 'retry-after': String(error.retryAfterSeconds) },
            );
          }
          throw new HttpProblem(503, 'no browser for PDF', (error as Error).message);
        }
    }
  });
}
