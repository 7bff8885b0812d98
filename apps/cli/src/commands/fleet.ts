import { TERMINAL_STATUSES } from '@loadline/api';
import { FeederError, loadFeederRows } from '@loadline/engine';
import { formatError, parseScenario } from '@loadline/scenario';
import { type ApiEnv, ApiProblem, ControlClient, controlApi } from '../control-client.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { checkFeederFiles, feederFilesOf } from '../feeder-files.js';
import { readScenarioText } from '../read-text.js';
import { summaryTable } from '../render-run.js';

export interface FleetRunOptions {
  api?: string;
  wait?: boolean;
  json?: boolean;
  agents?: string;
  environment?: string;
  duration?: string;
  rateMultiplier?: string;
  /** folders feeder files may also be read from (`--allow-path`, repeatable) */
  allowPath?: string[];
}

const TERMINAL: ReadonlySet<string> = TERMINAL_STATUSES;

function exitFor(status: string): number {
  switch (status) {
    case 'passed':
      return ExitCode.passed;
    case 'failed':
    case 'degraded':
      return ExitCode.thresholdsFailed;
    case 'aborted':
      return ExitCode.aborted;
    case 'invalid':
      return ExitCode.invalid;
    default:
      return ExitCode.badInput;
  }
}

/**
 * Control refused what FILE asked for: each refused field on stderr (at FILE:line:column when
 * control knows where), and the usage error to exit with.
 */
export function refused(
  what: string,
  error: ApiProblem,
  file: string,
  stderr: NodeJS.WritableStream,
): UsageError {
  for (const e of (error.problem.errors ?? []) as Array<{
    path?: string;
    field?: string;
    message: string;
    line?: number;
    column?: number;
  }>) {
    const path = e.path ?? e.field ?? '';
    stderr.write(
      e.line !== undefined
        ? `${formatError({ path, message: e.message, line: e.line, column: e.column ?? 1 }, file)}\n`
        : `  ${path}: ${e.message}\n`,
    );
  }
  return new ControlRefusal(error.status, `control refused the ${what}: ${error.message}`);
}

/** Control refused what was asked (4xx): bad input, exit 2 (a k6 script's 422: k6's 104). */
export class ControlRefusal extends UsageError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(undefined, message);
  }
}

/**
 * Saves FILE as a new version of its scenario on control, with its feeder rows (agents
 * hold no data; control shows the rows to whoever may read the scenario, so only files
 * under FILE's folder or `allowPaths` are read). Problems are reported with
 * file:line:column before anything is sent.
 */
export async function saveScenario(
  client: ControlClient,
  file: string,
  io: { stderr: NodeJS.WritableStream },
  allowPaths: readonly string[] = [],
): Promise<{ name: string; version: number }> {
  const source = await readScenarioText(file);
  const files = feederFilesOf(file, allowPaths);
  const parsed = parseScenario(source, { check: checkFeederFiles(files) });
  if (!parsed.ok) {
    for (const error of parsed.errors) io.stderr.write(`${formatError(error, file)}\n`);
    throw new UsageError(
      undefined,
      `${file}: ${parsed.problems} problem(s); nothing was submitted`,
    );
  }
  let feederRows: Record<string, Array<Record<string, string>>>;
  try {
    feederRows = Object.fromEntries(
      Object.entries(parsed.scenario.feeders).map(([name, feeder]) => [
        name,
        loadFeederRows(name, feeder, files, { index: 0, count: 1 }),
      ]),
    );
  } catch (error) {
    if (error instanceof FeederError) throw new UsageError(undefined, `${file}: ${error.message}`);
    throw error;
  }
  try {
    return await client.call(controlApi.saveScenario, { body: { source, feederRows } });
  } catch (error) {
    if (error instanceof ApiProblem) throw refused('scenario', error, file, io.stderr);
    throw error;
  }
}

/** `--agents N`: a positive whole number, or undefined when not given. */
export function agentsOption(value: string | undefined): number | undefined {
  const agents = value === undefined ? undefined : Number(value);
  if (agents !== undefined && (!Number.isInteger(agents) || agents <= 0)) {
    throw new UsageError('--agents', `expected a positive whole number, got "${value}"`);
  }
  return agents;
}

/** `loadline run FILE`: save the scenario as a new version and launch it on the fleet. */
export async function runOnFleet(
  file: string,
  options: FleetRunOptions,
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
  env: ApiEnv,
): Promise<number> {
  const client = ControlClient.for(options.api, env);
  const multiplier =
    options.rateMultiplier === undefined ? undefined : Number(options.rateMultiplier);
  if (multiplier !== undefined && !(multiplier > 0)) {
    throw new UsageError(
      '--rate-multiplier',
      `expected a positive number, got "${options.rateMultiplier}"`,
    );
  }
  const saved = await saveScenario(client, file, io, options.allowPath);
  const run = await launchAndWait(client, saved, file, options, io, {
    ...(options.duration ? { duration: options.duration } : {}),
    ...(multiplier ? { rateMultiplier: multiplier } : {}),
  });
  if (run === undefined) return ExitCode.passed;
  const summary = { ...((run.summary ?? {}) as object), runId: run.id, status: run.status };
  if (run.status === 'error') io.stderr.write(`run ${run.id} failed to run: ${run.abortReason}\n`);
  io.stdout.write(options.json ? `${JSON.stringify(summary)}\n` : summaryTable(summary));
  return exitFor(run.status);
}

/** A run as `getRun` answers: its id, status, why it ended and its summary. */
export interface FinishedRun {
  id: string;
  status: string;
  abortReason: string | null;
  summary: unknown;
}

/**
 * Launches a saved scenario version; with `--wait`, follows it to its end through control
 * restarts (Ctrl-C stops it) and returns it. Without, prints its id and returns undefined.
 */
export async function launchAndWait(
  client: ControlClient,
  saved: { name: string; version: number },
  file: string,
  options: Pick<FleetRunOptions, 'agents' | 'environment' | 'wait' | 'json'>,
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
  overrides: { duration?: string; rateMultiplier?: number } = {},
): Promise<FinishedRun | undefined> {
  const agents = agentsOption(options.agents);
  let run: FinishedRun;
  try {
    run = await client.call(controlApi.launchRun, {
      body: {
        scenario: saved.name,
        version: saved.version,
        ...(options.environment ? { environment: options.environment } : {}),
        ...(agents ? { agents } : {}),
        overrides,
      },
    });
  } catch (error) {
    if (error instanceof ApiProblem) throw refused('run', error, file, io.stderr);
    throw error;
  }
  if (!options.wait) {
    io.stdout.write(
      options.json
        ? `${JSON.stringify({ runId: run.id, status: run.status })}\n`
        : `run ${run.id} ${run.status}\n`,
    );
    return undefined;
  }
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(ExitCode.aborted);
    interrupted = true;
    client.call(controlApi.stopRun, { params: { id: run.id } }).catch(() => {});
  };
  process.on('SIGINT', onSignal);
  try {
    while (!TERMINAL.has(run.status)) {
      await new Promise((r) => setTimeout(r, 1000));
      // Control may restart or fail over mid-run (the run goes on): wait for it to answer.
      const detail = await client.callThroughRestarts(
        controlApi.getRun,
        { params: { id: run.id } },
        RECONNECT_PATIENCE_MS,
        {
          onAway: (why) =>
            io.stderr.write(
              `${io.stderr.isTTY ? '\r\x1b[2K' : ''}control is away (${why}); waiting for it to come back\n`,
            ),
          onBack: (ms) =>
            io.stderr.write(
              `control is back after ${(ms / 1000).toFixed(1)} s; run ${run.id} goes on\n`,
            ),
        },
      );
      run = detail;
      if (io.stderr.isTTY) {
        io.stderr.write(
          `\r\x1b[2K${run.id}  ${run.status}  requests ${detail.live.requests}  errors ${detail.live.errors}`,
        );
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
  }
  if (io.stderr.isTTY) io.stderr.write('\r\x1b[2K');
  return run;
}

/**
 * How long `run --wait` waits for a control that went away (a restart, a failover): longer
 * than agents go on without it (LOADLINE_CONTROL_GRACE, at most 10 min), so a run that
 * went on is always seen to its end.
 */
const RECONNECT_PATIENCE_MS = 11 * 60_000;

export async function listRuns(
  options: { api?: string; json?: boolean },
  stdout: NodeJS.WriteStream,
  env: ApiEnv,
): Promise<number> {
  const client = ControlClient.for(options.api, env);
  const page = await client.call(controlApi.listRuns, { query: { limit: 50 } });
  if (options.json) stdout.write(`${JSON.stringify(page)}\n`);
  else
    for (const run of page.runs)
      stdout.write(`${run.id}  ${run.status.padEnd(18)}  ${run.scenario}  ${run.createdAt}\n`);
  return ExitCode.passed;
}

export async function stopRun(
  runId: string,
  options: { api?: string; json?: boolean },
  stdout: NodeJS.WriteStream,
  env: ApiEnv,
): Promise<number> {
  const client = ControlClient.for(options.api, env);
  try {
    const result = await client.call(controlApi.stopRun, { params: { id: runId } });
    stdout.write(options.json ? `${JSON.stringify(result)}\n` : `stopping ${runId}\n`);
    return ExitCode.passed;
  } catch (error) {
    if (error instanceof ApiProblem) throw new UsageError(undefined, error.message);
    throw error;
  }
}

/** `loadline rate RUN X`: a running open-model run goes at its scenario's rate × X. */
export async function setRunRate(
  runId: string,
  multiplierText: string,
  options: { api?: string; json?: boolean },
  stdout: NodeJS.WriteStream,
  env: ApiEnv,
): Promise<number> {
  const multiplier = Number(multiplierText.replace(/^x/i, ''));
  if (multiplierText.trim() === '' || !Number.isFinite(multiplier) || multiplier <= 0) {
    throw new UsageError(
      '<multiplier>',
      `expected a positive number (2 doubles the scenario's rate, 0.5 halves it), got "${multiplierText}"`,
    );
  }
  const client = ControlClient.for(options.api, env);
  try {
    const result = await client.call(controlApi.setRunRate, {
      params: { id: runId },
      body: { rateMultiplier: multiplier },
    });
    stdout.write(
      options.json
        ? `${JSON.stringify(result)}\n`
        : `${runId}: rate ×${result.rateMultiplier} from ${new Date(result.atMs).toISOString()} (peak ${Math.round(result.peakRate * 100) / 100}/s)\n`,
    );
    return ExitCode.passed;
  } catch (error) {
    if (error instanceof ApiProblem) throw new UsageError(undefined, error.message);
    throw error;
  }
}
