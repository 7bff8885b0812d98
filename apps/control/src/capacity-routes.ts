// The capacity model over HTTP, for the console: fit a model from stored runs (what control
// scraped from the targets plus the agents' per-step seconds), plan a forecast on a model,
// and export the plan as a report. The report package (exceljs, Chromium for PDF) loads
// only when asked, so a control that never plans never maps it.
import { CapacityModel, Forecast } from '@loadline/capacity';
import { z } from 'zod';
import { HttpProblem, parseBody, type Router } from './http.js';
import type { RouteDeps } from './routes.js';

const FitBody = z.strictObject({
  runs: z.array(z.string().min(1)).min(1).max(50),
  /** cores per machine by service; default 1 */
  cores: z.record(z.string(), z.number().int().positive()).default({}),
  slo: z
    .strictObject({
      p99Ms: z.number().positive().optional(),
      cpuCeiling: z.number().gt(0).max(1).optional(),
    })
    .default({ p99Ms: 500 }),
  entrySteps: z.array(z.string()).optional(),
  /** seconds averaged into one load level of a ramp (default 5) */
  levelSeconds: z.number().int().positive().max(300).optional(),
});

const PlanBody = z.strictObject({ model: CapacityModel, forecast: Forecast });

const FORMATS = {
  json: 'application/json',
  md: 'text/markdown; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pdf: 'application/pdf',
  html: 'text/html; charset=utf-8',
} as const;
type Format = keyof typeof FORMATS;

export function registerCapacityRoutes(
  router: Router,
  deps: Pick<RouteDeps, 'metadata' | 'store'>,
) {
  router.add('POST', '/capacity/model', async ({ body }) => {
    const input = parseBody(FitBody, body);
    const report = await import('@loadline/report');
    const runs = [];
    for (const id of input.runs) {
      const run = await deps.metadata.getRun(id).catch(() => {
        throw new HttpProblem(404, 'not found', `no run ${id}`, {
          errors: [{ field: 'runs', message: `no run ${id}` }],
        });
      });
      runs.push({
        runId: run.id,
        targetMetrics: await deps.store.targetMetrics(run.id),
        steps: await deps.store.timeSeriesBy(run.id, 'step'),
      });
    }
    const measurements = report.measurementsFromRuns(runs, {
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
      const model = await report.buildModel(measurements, {
        source: `runs ${input.runs.join(',')}`,
        defaultRun: input.runs.join(','),
      });
      return { body: { model, measurements } };
    } catch (error) {
      throw new HttpProblem(422, 'cannot fit', (error as Error).message);
    }
  });

  router.add('POST', '/capacity/plan', async ({ body, query }) => {
    const input = parseBody(PlanBody, body);
    const format = (query.get('format') ?? 'json') as Format;
    if (!(format in FORMATS)) {
      throw new HttpProblem(
        422,
        'unknown report format',
        `format "${format}" is not one of ${Object.keys(FORMATS).join(', ')}`,
        { errors: [{ field: 'format', message: `expected ${Object.keys(FORMATS).join('|')}` }] },
      );
    }
    const report = await import('@loadline/report');
    const plan = report.planFromModel(input.model, input.forecast);
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
          throw new HttpProblem(503, 'no browser for PDF', (error as Error).message);
        }
    }
  });
}
