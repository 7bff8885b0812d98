import { isLoopback, LOOPBACK_HOSTS, type SaturationLimits } from '@loadline/api';
import { saturationSetting } from '@loadline/config';
import {
  buildRunSummary,
  compileScenario,
  evaluateThresholds,
  FeederError,
  type FlowModel,
  type FlowReport,
  FlowRunner,
  GeneratorJudge,
  GuardrailMonitor,
  peakRateOf,
  SecretsMissingError,
  saturationLimits,
  stepTableSource,
  summarizeFlows,
  tableResults,
} from '@loadline/engine';
import {
  formatError,
  type Load,
  MAX_DURATION_MS,
  MAX_RATE,
  MAX_VUS,
  parseDuration,
  parseScenario,
  planDurationMs,
  planLoad,
} from '@loadline/scenario';
import { ExitCode, UsageError } from '../exit-codes.js';
import { checkFeederFiles, feederFilesOf } from '../feeder-files.js';
import { readScenarioText } from '../read-text.js';
import { runTable } from '../render-run.js';
import { localReplay } from './replay-local.js';

export interface RunOptions {
  local?: boolean;
  /** folders feeder files may also be read from (`--allow-path`, repeatable) */
  allowPath?: string[];
  json?: boolean;
  duration?: string;
  rateMultiplier?: string;
}

export interface RunIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

function multiplierOf(options: RunOptions): number {
  const multiplier = options.rateMultiplier === undefined ? 1 : Number(options.rateMultiplier);
  if (!Number.isFinite(multiplier) || multiplier <= 0) {
    throw new UsageError(
      '--rate-multiplier',
      `expected a positive number, got "${options.rateMultiplier}"`,
    );
  }
  return multiplier;
}

function modelOf(load: Load, options: RunOptions): { model: FlowModel; durationMs: number } {
  const override = options.duration === undefined ? undefined : parseDuration(options.duration);
  if (options.duration !== undefined && (override === undefined || override <= 0)) {
    throw new UsageError(
      '--duration',
      `expected a duration like 30s or 1m30s, got "${options.duration}"`,
    );
  }
  if (override !== undefined && override > MAX_DURATION_MS) {
    throw new UsageError('--duration', `at most 7 days (168h), got "${options.duration}"`);
  }
  const plan = planLoad(load, {
    rateMultiplier: multiplierOf(options),
    ...(override === undefined ? {} : { durationMs: override }),
  });
  const durationMs = planDurationMs(plan);
  // The scenario's own numbers are bounded by its schema; the multiplier can still push past.
  const peak =
    plan.kind === 'closed'
      ? plan.vus
      : Math.max(plan.startRate, ...plan.stages.map((stage) => stage.target));
  const limit = plan.kind === 'closed' ? MAX_VUS : MAX_RATE;
  if (peak > limit) {
    throw new UsageError(
      '--rate-multiplier',
      `makes the load ${Math.round(peak)} ${plan.kind === 'closed' ? 'VUs' : 'a second'}, over the limit of ${limit}`,
    );
  }
  if (plan.kind === 'closed') return { model: plan, durationMs };
  const { startRate, stages, maxInFlight } = plan;
  return { model: { kind: 'open', profile: { startRate, stages }, maxInFlight }, durationMs };
}

/**
 * When this process counts as a saturated generator: the defaults with LOADLINE_SATURATION's
 * parts over them (checked when the environment was read).
 */
export function saturationOf(text: string | undefined): SaturationLimits {
  const setting = saturationSetting(text);
  if (typeof setting === 'string') throw new UsageError('LOADLINE_SATURATION', setting);
  return saturationLimits(setting);
}

/** `loadline run FILE --local`: runs a scenario in this process and judges its thresholds. */
export async function runLocally(
  file: string,
  options: RunOptions,
  io: RunIo,
  env: { LOADLINE_SATURATION?: string | undefined } = {},
): Promise<number> {
  const text = await readScenarioText(file);
  const files = feederFilesOf(file, options.allowPath);
  const parsed = parseScenario(text, { check: checkFeederFiles(files) });
  if (!parsed.ok) {
    for (const error of parsed.errors) io.stderr.write(`${formatError(error, file)}\n`);
    throw new UsageError(undefined, `${file}: ${parsed.problems} problem(s); nothing was run`);
  }
  const scenario = parsed.scenario;
  if (scenario.k6 !== undefined) {
    throw new UsageError(
      undefined,
      `${file}: a k6 scenario (as \`loadline run script.js\` saves it) runs its script: run the script with --local`,
    );
  }
  const target = new URL(scenario.target);
  // The built-in `local` environment's own allowlist: --local and control agree on loopback.
  if (!isLoopback(target)) {
    throw new UsageError(
      undefined,
      `${file}: target ${target.host} is not allowed by the local environment (${LOOPBACK_HOSTS.join(', ')}); run it through control with an environment that allows it`,
    );
  }
  let plan: ReturnType<typeof compileScenario>;
  let model: FlowModel;
  let durationMs: number;
  if (scenario.replay !== undefined || scenario.load === undefined) {
    ({ plan, model, durationMs } = await localReplay(
      { ...scenario, replay: scenario.replay ?? { file: '' } },
      file,
      multiplierOf(options),
    ));
  } else {
    ({ model, durationMs } = modelOf(scenario.load, options));
    try {
      plan = compileScenario(scenario, files);
    } catch (error) {
      if (error instanceof FeederError || error instanceof SecretsMissingError) {
        throw new UsageError(undefined, error.message);
      }
      throw error;
    }
  }
  const runId = `local_${Date.now().toString(36)}`;
  const runner = new FlowRunner({ plan, model, runId });
  const guardrails = new GuardrailMonitor(scenario.guardrails);
  const generators = new GeneratorJudge(saturationOf(env.LOADLINE_SATURATION));
  const stepsOfFlow = Object.fromEntries(
    plan.flows.map((f) => [f.name, f.steps.map((s) => s.name)]),
  );
  const live = io.stderr.isTTY === true;
  let requests = 0;
  let errors = 0;
  let runStartMs: number | undefined;
  runner.on('interval', (interval) => {
    generators.observe('local', interval.generator);
    const lengthS = Math.max((interval.endMs - interval.startMs) / 1000, 1e-3);
    const trip = guardrails.observe(
      stepTableSource(interval.table, stepsOfFlow, lengthS),
      interval.endMs,
      interval.endMs - interval.startMs,
    );
    if (trip) {
      io.stderr.write(
        `${live ? '\r\x1b[2K' : ''}guardrail tripped: ${trip.guardrail} (value ${trip.value}); stopping\n`,
      );
      runner.stop(`guardrail: ${trip.guardrail}`);
    }
    if (!live) return;
    runStartMs ??= interval.startMs;
    const elapsedS = (interval.endMs - runStartMs) / 1000;
    const summary = summarizeFlows(interval.table);
    requests += summary.total.requests;
    errors += summary.total.errors;
    io.stderr.write(
      `\r\x1b[2K${Math.min(elapsedS, durationMs / 1000).toFixed(0)}s/${(durationMs / 1000).toFixed(0)}s  ${Math.round(summary.total.requests / lengthS)} req/s  p99 ${summary.total.latencyMs.p99} ms  errors ${errors}/${requests}  iterations in flight ${interval.activeIterations}`,
    );
  });
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) process.exit(ExitCode.aborted);
    runner.stop('interrupted');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let report: FlowReport;
  try {
    report = await runner.run();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (live) io.stderr.write('\r\x1b[2K');
  const thresholds = evaluateThresholds(
    scenario.thresholds,
    stepTableSource(report.totals, stepsOfFlow, report.durationS),
  );
  const { iterations, ...results } = tableResults(report.totals, scenario.flows);
  const result = buildRunSummary({
    runId: report.runId,
    scenario: scenario.name,
    outcome: report.aborted ? 'aborted' : 'completed',
    durationS: report.durationS,
    agents: 1,
    results,
    thresholds,
    intendedMix: report.intendedMix,
    achievedMix: report.achievedMix,
    iterations,
    ...(report.abortReason === undefined ? {} : { abortReason: report.abortReason }),
    generator: generators.check({
      agents: 1,
      ...(model.kind === 'open' ? { peakRate: peakRateOf(model.profile) } : {}),
    }),
  });
  io.stdout.write(options.json ? `${JSON.stringify(result)}\n` : runTable(result, report));
  if (report.aborted) return ExitCode.aborted;
  if (result.status === 'invalid') return ExitCode.invalid;
  return result.passed ? ExitCode.passed : ExitCode.thresholdsFailed;
}
