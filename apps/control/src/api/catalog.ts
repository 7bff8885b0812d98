import {
  CreateScheduleBody,
  controlApi,
  EnvironmentBody,
  EnvironmentInput,
  PauseScheduleBody,
  SaveScenarioBody,
  StoredScenario,
} from '@loadline/api/http';
import { cronProblems, type Environment, NotFoundError } from '@loadline/metadata';
import { parseScenario } from '@loadline/scenario';
import { actorOf, requirePermission } from '../access/principal.js';
import { changes } from '../access/views.js';
import { HttpProblem, parseBody, type Router } from '../http.js';
import type { RouteDeps } from './deps.js';
import { guarded } from './errors.js';
import { scenarioVersionView, scheduleView, scheduleViews, storedScenarioOf } from './views.js';

/** Environments, scenarios and their versions, and schedules: what runs are made from. */
export function registerCatalogRoutes(router: Router, deps: RouteDeps): void {
  const { metadata } = deps;
  router.route(controlApi.listEnvironments, async () =>
    guarded(async () => ({ body: { environments: await metadata.listEnvironments() } })),
  );
  router.route(controlApi.putEnvironment, async ({ params, body, audit }) =>
    guarded(async () => {
      // The name comes from the path; the body is the rest of the environment.
      const fields = parseBody(EnvironmentBody, body);
      const input = parseBody(EnvironmentInput, { ...fields, name: params.name });
      const before = await metadata.getEnvironment(input.name).catch((error) => {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      });
      const after = await metadata.upsertEnvironment(input);
      audit.target = `environment:${after.name}`;
      audit.detail = {
        created: !before,
        changes: changes(before && environmentFields(before), environmentFields(after)),
      };
      return { body: after };
    }),
  );

  router.route(controlApi.saveScenario, async ({ body, principal, audit }) =>
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
      const version = await metadata.saveScenarioVersion(
        parsed.scenario.name,
        source,
        { scenario: JSON.parse(JSON.stringify(parsed.scenario)), feederRows },
        { createdBy: actorOf(principal).actor },
      );
      audit.target = `scenario:${parsed.scenario.name}`;
      audit.detail = { version: version.version };
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
      body: { schedules: await scheduleViews(metadata, await metadata.listSchedules()) },
    })),
  );
  router.route(controlApi.createSchedule, async ({ body, principal, audit }) =>
    guarded(async () => {
      const input = parseBody(CreateScheduleBody, body);
      const stored = await metadata.getScenario(input.scenario);
      const environment =
        input.environment ?? storedScenarioOf(stored.parsed).scenario.environment ?? 'local';
      requirePermission(principal, 'schedule.write', environment);
      const problems = cronProblems(input.cron);
      if (problems.length > 0) {
        throw new HttpProblem(422, 'invalid request body', `cron: ${problems.join('; ')}`, {
          errors: problems.map((message) => ({ field: 'cron', message })),
        });
      }
      const env = await metadata.getEnvironment(environment);
      const actor = actorOf(principal).actor;
      const schedule = await metadata.createSchedule({
        name: input.name,
        scenario: input.scenario,
        version: input.version ?? null,
        cron: input.cron,
        timezone: input.timezone,
        environment,
        agents: input.agents ?? 1,
        options: { overrides: input.overrides },
        createdBy: actor,
      });
      const approval = env.protected
        ? await metadata.access.requestApproval({
            subjectKind: 'schedule',
            subjectId: schedule.id,
            requestedBy: actor,
            requesterUserId: principal.userId,
            expiresAt: new Date(Date.now() + deps.approvalTtlMs),
          })
        : undefined;
      try {
        await deps.schedules.upsert(schedule);
      } catch (error) {
        // No row without its timer: a schedule that cannot be armed is not kept.
        await metadata.deleteSchedule(schedule.id);
        throw error;
      }
      audit.target = `schedule:${schedule.name}`;
      audit.detail = { environment, cron: schedule.cron, awaitingApproval: env.protected };
      return { body: scheduleView(schedule, approval) };
    }),
  );
  router.route(controlApi.deleteSchedule, async ({ params, principal, audit }) =>
    guarded(async () => {
      const schedule = await metadata.getSchedule(params.id as string);
      requirePermission(principal, 'schedule.write', schedule.environment);
      await deps.schedules.remove(schedule.id);
      await metadata.deleteSchedule(schedule.id);
      audit.target = `schedule:${schedule.name}`;
      return undefined;
    }),
  );
  router.route(controlApi.pauseSchedule, async ({ params, body, principal, audit }) =>
    guarded(async () => {
      const { paused } = parseBody(PauseScheduleBody, body ?? {});
      const current = await metadata.getSchedule(params.id as string);
      requirePermission(principal, 'schedule.write', current.environment);
      const schedule = await metadata.pauseSchedule(current.id, paused);
      await deps.schedules.upsert(schedule);
      audit.target = `schedule:${schedule.name}`;
      audit.detail = { paused };
      return {
        body: scheduleView(schedule, await metadata.access.getApproval('schedule', schedule.id)),
      };
    }),
  );
}

/** What an environment's audit diff compares. */
function environmentFields(env: Environment) {
  return {
    baseUrls: env.baseUrls,
    allowedHosts: env.allowedHosts,
    requiresShadow: env.requiresShadow,
    protected: env.protected,
    metricsTargets: env.metricsTargets,
    weightDrivers: env.weightDrivers,
  };
}
