import {
  CreateScheduleBody,
  controlApi,
  EnvironmentInput,
  PauseScheduleBody,
  SaveScenarioBody,
  StoredScenario,
} from '@loadline/api/http';
import { NotFoundError } from '@loadline/metadata';
import { parseScenario } from '@loadline/scenario';
import { HttpProblem, parseBody, type Router } from '../http.js';
import type { RouteDeps } from './deps.js';
import { guarded } from './errors.js';
import { scenarioVersionView, scheduleView, storedScenarioOf } from './views.js';

/** Environments, scenarios and their versions, and schedules: what runs are made from. */
export function registerCatalogRoutes(router: Router, deps: RouteDeps): void {
  const { metadata } = deps;
  router.route(controlApi.listEnvironments, async () =>
    guarded(async () => ({ body: { environments: await metadata.listEnvironments() } })),
  );
  router.route(controlApi.putEnvironment, async ({ params, body }) =>
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

  router.route(controlApi.saveScenario, async ({ body }) =>
    guarded(async () => {
      const { source, feederRows } = parseBody(SaveScenarioBody, body);
      const parsed = parseScenario(source);
      if (!parsed.ok) {
        throw new HttpProblem(
          422,
          'invalid scenario',
          `${parsed.errors.length} problem(s); nothing was saved`,
          { errors: parsed.errors },
        );
      }
      // A feeder whose file is unchanged and that comes without rows keeps the rows of the
      // latest version: an edit in the console need not upload 10,000 users again.
      const previous = await metadata.getScenario(parsed.scenario.name).catch((error) => {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      });
      const previousForm = previous ? StoredScenario.parse(previous.parsed) : undefined;
      const previousFeeders = (previousForm?.scenario.feeders ?? {}) as Record<
        string,
        { file?: string } | undefined
      >;
      for (const [name, feeder] of Object.entries(parsed.scenario.feeders)) {
        const kept = previousForm?.feederRows[name];
        if (
          (feederRows[name] ?? []).length === 0 &&
          kept &&
          kept.length > 0 &&
          previousFeeders[name]?.file === feeder.file
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
            { errors: [{ path: `feederRows.${name}`, message: 'no rows' }] },
          );
        }
      }
      const version = await metadata.saveScenarioVersion(parsed.scenario.name, source, {
        scenario: JSON.parse(JSON.stringify(parsed.scenario)),
        feederRows,
      });
      return { body: { name: parsed.scenario.name, version: version.version } };
    }),
  );
  router.route(controlApi.listScenarios, async () =>
    guarded(async () => ({ body: { scenarios: await metadata.listScenarios() } })),
  );
  router.route(controlApi.scenarioVersions, async ({ params }) =>
    guarded(async () => ({
      body: {
        name: params.name as string,
        versions: await metadata.listVersions(params.name as string),
      },
    })),
  );
  router.route(controlApi.getScenario, async ({ params, query }) =>
    guarded(async () => {
      const version = query.get('version');
      const stored = await metadata.getScenario(
        params.name as string,
        version === null ? undefined : Number(version),
      );
      return { body: scenarioVersionView(stored) };
    }),
  );

  router.route(controlApi.listSchedules, async () =>
    guarded(async () => ({
      body: { schedules: (await metadata.listSchedules()).map(scheduleView) },
    })),
  );
  router.route(controlApi.createSchedule, async ({ body }) =>
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
          input.environment ?? storedScenarioOf(stored.parsed).scenario.environment ?? 'local',
        agents: input.agents ?? 1,
        options: { overrides: input.overrides },
      });
      await deps.schedules.upsert(schedule);
      return { body: scheduleView(schedule) };
    }),
  );
  router.route(controlApi.deleteSchedule, async ({ params }) =>
    guarded(async () => {
      const schedule = await metadata.getSchedule(params.id as string);
      await deps.schedules.remove(schedule.id);
      await metadata.deleteSchedule(schedule.id);
      return undefined;
    }),
  );
  router.route(controlApi.pauseSchedule, async ({ params, body }) =>
    guarded(async () => {
      const { paused } = parseBody(PauseScheduleBody, body ?? {});
      const schedule = await metadata.pauseSchedule(params.id as string, paused);
      if (paused) await deps.schedules.remove(schedule.id);
      else await deps.schedules.upsert(schedule);
      return { body: scheduleView(schedule) };
    }),
  );
}
