import { type ApiEnv, ApiProblem, ControlClient, controlApi } from '../control-client.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { agentsOption, saveScenario } from './fleet.js';

export interface ScheduleAddOptions {
  api?: string;
  cron?: string;
  name?: string;
  tz?: string;
  agents?: string;
  environment?: string;
  json?: boolean;
  /** folders feeder files may also be read from (`--allow-path`, repeatable) */
  allowPath?: string[];
}

function client(api: string | undefined, env: ApiEnv): ControlClient {
  return ControlClient.for(api, env);
}

async function call<T>(fn: () => Promise<T>, io: { stderr: NodeJS.WritableStream }): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ApiProblem) {
      for (const e of (error.problem.errors ?? []) as Array<{ field?: string; message: string }>) {
        io.stderr.write(`  ${e.field ?? ''}: ${e.message}\n`);
      }
      throw new UsageError(undefined, error.message);
    }
    throw error;
  }
}

/** `loadline schedule add FILE --cron EXPR`: save the scenario and run it on a schedule. */
export async function addSchedule(
  file: string,
  options: ScheduleAddOptions,
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
  env: ApiEnv,
): Promise<number> {
  if (!options.cron)
    throw new UsageError('--cron', 'is required (e.g. --cron "0 2 * * *" for 02:00 every day)');
  const api = client(options.api, env);
  const saved = await saveScenario(api, file, io, options.allowPath);
  const agents = agentsOption(options.agents);
  const schedule = await call(
    () =>
      api.call(controlApi.createSchedule, {
        body: {
          name: options.name ?? saved.name,
          scenario: saved.name,
          cron: options.cron as string,
          ...(options.tz ? { timezone: options.tz } : {}),
          ...(agents ? { agents } : {}),
          ...(options.environment ? { environment: options.environment } : {}),
        },
      }),
    io,
  );
  io.stdout.write(
    options.json
      ? `${JSON.stringify(schedule)}\n`
      : `schedule ${schedule.name} (${schedule.id}): ${schedule.scenario} at "${schedule.cron}" ${schedule.timezone}\n`,
  );
  return ExitCode.passed;
}

export async function listSchedules(
  options: { api?: string; json?: boolean },
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
  env: ApiEnv,
): Promise<number> {
  const { schedules } = await call(
    () => client(options.api, env).call(controlApi.listSchedules),
    io,
  );
  if (options.json) io.stdout.write(`${JSON.stringify({ schedules })}\n`);
  else if (schedules.length === 0) io.stdout.write('no schedules\n');
  else {
    for (const s of schedules) {
      io.stdout.write(
        `${s.name.padEnd(20)} ${s.cron.padEnd(16)} ${s.timezone.padEnd(14)} ${s.scenario} on ${s.agents} agent(s)${s.paused ? ' (paused)' : ''}\n`,
      );
    }
  }
  return ExitCode.passed;
}

export async function removeSchedule(
  nameOrId: string,
  options: { api?: string; json?: boolean },
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
  env: ApiEnv,
): Promise<number> {
  await call(
    () => client(options.api, env).call(controlApi.deleteSchedule, { params: { id: nameOrId } }),
    io,
  );
  io.stdout.write(
    options.json ? `${JSON.stringify({ removed: nameOrId })}\n` : `removed ${nameOrId}\n`,
  );
  return ExitCode.passed;
}
