// `loadline capacity probe`: one instance's redline, found online the way Alibaba does it —
// control raises the instance's weight at the gateway level by level on the traffic already
// flowing and stops at its SLO's confirmed breach. This command starts the probe, follows
// it level by level, and on Ctrl-C stops it; the original weights are put back by control
// however the probe ends (even if control itself restarts meanwhile).
import {
  ApiProblem,
  type WeightProbe,
  WeightProbeBody,
  type WeightProbeLevel,
} from '@loadline/api/http';
import { type ApiEnv, ControlClient, controlApi } from '../control-client.js';
import { ExitCode, UsageError } from '../exit-codes.js';

export interface CapacityProbeOptions {
  api?: string;
  environment?: string;
  service?: string;
  instance?: string;
  sloP99?: string;
  cpuCeiling?: string;
  cores?: string;
  levels?: string;
  hold?: string;
  settle?: string;
  maxShare?: string;
  run?: string;
  wait?: boolean;
  json?: boolean;
}

export interface ProbeIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** How long the command waits through a control restart before it gives up following. */
const RESTART_PATIENCE_MS = 120_000;
/** How long it waits, once the probe ended, for control to report the weights restored. */
const RESTORE_PATIENCE_MS = 15_000;

const FLAGS: Record<string, string> = {
  environment: '--environment',
  service: '--service',
  instance: '--instance',
  'slo.p99Ms': '--slo-p99',
  'slo.cpuCeiling': '--cpu-ceiling',
  slo: '--slo-p99/--cpu-ceiling',
  cores: '--cores',
  levels: '--levels',
  hold: '--hold',
  settle: '--settle',
  maxShare: '--max-share',
  run: '--run',
};

/** The flags as the probe's body: each checked by the API's own schema, named on error. */
export function probeBody(options: CapacityProbeOptions): WeightProbeBody {
  const number = (text: string | undefined, flag: string) => {
    if (text === undefined) return undefined;
    const value = Number(text.replace(/ms$/, ''));
    if (text.trim() === '' || !Number.isFinite(value)) {
      throw new UsageError(flag, `expected a number, got "${text}"`);
    }
    return value;
  };
  if (!options.environment) throw new UsageError('--environment', 'name the environment');
  if (!options.service) throw new UsageError('--service', 'name the service to probe');
  const slo = {
    ...(options.sloP99 === undefined ? {} : { p99Ms: number(options.sloP99, '--slo-p99') }),
    ...(options.cpuCeiling === undefined
      ? {}
      : { cpuCeiling: number(options.cpuCeiling, '--cpu-ceiling') }),
  };
  const parsed = WeightProbeBody.safeParse({
    environment: options.environment,
    service: options.service,
    slo,
    ...(options.instance === undefined ? {} : { instance: number(options.instance, '--instance') }),
    ...(options.cores === undefined ? {} : { cores: number(options.cores, '--cores') }),
    ...(options.levels === undefined ? {} : { levels: number(options.levels, '--levels') }),
    ...(options.hold === undefined ? {} : { hold: options.hold }),
    ...(options.settle === undefined ? {} : { settle: options.settle }),
    ...(options.maxShare === undefined
      ? {}
      : { maxShare: number(options.maxShare, '--max-share') }),
    ...(options.run === undefined ? {} : { run: options.run }),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.join('.');
    throw new UsageError(FLAGS[path] ?? FLAGS[String(issue.path[0])], issue.message);
  }
  return parsed.data;
}

export async function runCapacityProbe(
  options: CapacityProbeOptions,
  io: ProbeIo,
  env: ApiEnv,
): Promise<number> {
  const body = probeBody(options);
  const client = ControlClient.for(options.api, env);
  let probe: WeightProbe;
  try {
    probe = await client.call(controlApi.startWeightProbe, { body });
  } catch (error) {
    if (error instanceof ApiProblem && error.status < 500) {
      const fields = (error.problem as { errors?: { field?: string }[] }).errors ?? [];
      throw new UsageError(FLAGS[fields[0]?.field ?? ''], error.message);
    }
    if (error instanceof ApiProblem) {
      io.stderr.write(`loadline: the probe could not start: ${error.message}\n`);
      return ExitCode.internalError;
    }
    throw error;
  }
  // Progress goes to stderr, with --json too: stdout holds only the answer.
  const say = (line: string) => io.stderr.write(`${line}\n`);
  say(
    `probe ${probe.id}: ${probe.service} instance ${probe.instance} (${probe.instanceUrl}), weights found ${JSON.stringify(probe.originalWeights)}`,
  );
  if (options.wait === false) {
    io.stdout.write(options.json ? `${JSON.stringify(probe)}\n` : `${probe.id}\n`);
    return ExitCode.passed;
  }
  let stopping: Promise<unknown> | undefined;
  const onSignal = () => {
    if (stopping) return;
    say('stopping the probe: control puts the weights back…');
    stopping = client
      .callThroughRestarts(
        controlApi.stopWeightProbe,
        { params: { id: probe.id } },
        RESTART_PATIENCE_MS,
      )
      .catch((error: Error) => say(`stopping failed: ${error.message}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    let shown = 0;
    let endedAt: number | undefined;
    for (;;) {
      probe = await client.callThroughRestarts(
        controlApi.getWeightProbe,
        { params: { id: probe.id } },
        RESTART_PATIENCE_MS,
        {
          onAway: (why) => say(`control is away (${why}); waiting for it…`),
          onBack: (ms) => say(`control is back after ${(ms / 1000).toFixed(1)} s`),
        },
      );
      for (; shown < probe.levels.length; shown++) say(levelLine(probe.levels[shown]!, shown));
      // Done once ended and the weights are back, or control has retried the restore a while
      // (it goes on at every sweep; the warning below says so).
      if (probe.status !== 'running') {
        endedAt ??= Date.now();
        if (probe.restoredAt !== null || Date.now() - endedAt > RESTORE_PATIENCE_MS) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await stopping;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  io.stdout.write(options.json ? `${JSON.stringify(probe)}\n` : `${summary(probe)}\n`);
  if (probe.restoredAt === null) {
    io.stderr.write(
      `warning: ${probe.service}'s weights are not restored yet (control retries every sweep): ${JSON.stringify(probe.originalWeights)}\n`,
    );
  }
  return probe.status === 'finished'
    ? ExitCode.passed
    : probe.status === 'aborted'
      ? ExitCode.aborted
      : ExitCode.internalError;
}

function levelLine(level: WeightProbeLevel, index: number): string {
  const cpu = level.cpu < 0 ? 'CPU n/a' : `CPU ${(level.cpu * 100).toFixed(0)} %`;
  const p99 = level.p99Ms < 0 ? 'p99 n/a' : `p99 ${level.p99Ms.toFixed(1)} ms`;
  const verdict = level.warmUp
    ? 'warm-up'
    : level.breaches.length > 0
      ? `BREACH: ${level.breaches.join('; ')}`
      : 'held';
  return `  level ${index}: ${(level.share * 100).toFixed(0).padStart(3)} % of the weight  ${level.qps.toFixed(1).padStart(8)} QPS  ${p99}  ${cpu}  ${verdict}`;
}

export function summary(probe: WeightProbe): string {
  const head = `probe ${probe.id} ${probe.status}: ${probe.reason ?? ''}`;
  const weights =
    probe.restoredAt === null
      ? 'weights NOT yet restored'
      : `weights restored to ${JSON.stringify(probe.originalWeights)}`;
  const redline = probe.redline;
  if (!redline) return `${head}\n  no redline: fewer than two levels measured; ${weights}`;
  const range = redline.between
    ? ` (held at ${redline.between[0].toFixed(1)}, broke at ${redline.between[1].toFixed(1)})`
    : '';
  const what = redline.lowerBound
    ? `at least ${redline.qps.toFixed(1)} QPS (nothing broke: a lower bound)`
    : `${redline.qps.toFixed(1)} QPS by ${redline.by}${range}`;
  return `${head}\n  redline of ${probe.service} instance ${probe.instance}: ${what}; ${weights}`;
}
