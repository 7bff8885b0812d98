import { basename, extname } from 'node:path';
import {
  bindingText,
  buildModel,
  CapacityModel,
  Forecast,
  type FromRunsOptions,
  fitUsl,
  formatCapacity,
  formatCsvProblem,
  Measurements,
  measurementsFromRuns,
  type Plan,
  parseUslCsv,
  planFromModel,
  type StoredRun,
  type UslFit,
  UslInputError,
  UslQualityGates,
} from '@loadline/capacity';
import { type CliEnv, DEFAULT_API_URL } from '@loadline/config';
import {
  BrowserError,
  closeReportBrowsers,
  formatInputProblem,
  type InputResult,
  parseInput,
  planToCsv,
  planToHtml,
  planToMarkdown,
  planToPdf,
  planToXlsx,
} from '@loadline/report';
import { parseDuration } from '@loadline/scenario';
import { type ApiEnv, ApiProblem, ControlClient, controlApi } from '../control-client.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { checkOutFile, writeOutFile } from '../out-file.js';
import { readText } from '../read-text.js';

export interface CapacityUslOptions {
  csv?: string;
  json?: boolean;
  /** quality gates (UslQualityGates), as given on the command line */
  minR2?: string;
  maxRelativeResidual?: string;
  minLevels?: string;
  maxLinearShare?: string;
}

/** The gates given as flags: each a number in its range, or bad input naming the flag. */
function uslGates(options: CapacityUslOptions): Partial<UslQualityGates> {
  const flags = [
    ['minR2', '--min-r2'],
    ['maxRelativeResidual', '--max-relative-residual'],
    ['minLevels', '--min-levels'],
    ['maxLinearShare', '--max-linear-share'],
  ] as const;
  const gates: Record<string, number> = {};
  for (const [key, flag] of flags) {
    const text = options[key];
    if (text === undefined) continue;
    const value = Number(text);
    const checked = UslQualityGates.shape[key].safeParse(value);
    if (text.trim() === '' || !checked.success) {
      throw new UsageError(
        flag,
        `${JSON.stringify(text)}: ${checked.error?.issues[0]?.message ?? 'not a number'}`,
      );
    }
    gates[key] = value;
  }
  return gates;
}

export interface CapacityIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** `loadline capacity usl --csv FILE [--json]`: fit the USL to concurrency,throughput points. */
export async function runCapacityUsl(options: CapacityUslOptions, io: CapacityIo): Promise<number> {
  const file = options.csv;
  if (!file)
    throw new UsageError('--csv', 'required: a CSV file with columns concurrency,throughput');
  const gates = uslGates(options);
  const text = await readText(file, '--csv');
  const parsed = parseUslCsv(text, file);
  if (!parsed.ok) {
    const [first, ...rest] = parsed.errors;
    const more = rest.length > 0 ? ` (and ${rest.length} more problem(s))` : '';
    throw new UsageError(undefined, `${formatCsvProblem(first!)}${more}`);
  }
  let fit: UslFit;
  try {
    fit = await fitUsl(parsed.points, { gates });
  } catch (error) {
    if (error instanceof UslInputError)
      throw new UsageError(undefined, `${file}: ${error.message}`);
    throw error;
  }
  if (options.json) io.stdout.write(`${JSON.stringify(fit)}\n`);
  else {
    io.stdout.write(renderUslFit(file, fit));
    for (const warning of fit.warnings) io.stderr.write(`warning: ${warning}\n`);
  }
  // A poor fit is printed (marked), but must not pass for one a plan can be made from.
  return fit.quality.verdict === 'poor' ? ExitCode.thresholdsFailed : ExitCode.passed;
}

const sig = (v: number, digits = 6) => Number(v.toPrecision(digits)).toString();

/** The fit as a short table; pure, so it can be tested without a terminal. */
export function renderUslFit(file: string, fit: UslFit): string {
  const { peak } = fit;
  const peakLine =
    peak.kind === 'peak'
      ? `N* = ${sig(peak.concurrency, 5)} → X = ${sig(peak.throughput)}  (floored: N = ${peak.flooredConcurrency} → X = ${sig(peak.flooredThroughput)})`
      : peak.kind === 'asymptote'
        ? `none (κ = 0): X approaches λ/σ = ${sig(peak.throughput)}`
        : 'none: throughput grows without a maximum in this model';
  const rows: [string, string][] = [
    ['sigma  σ (contention)', sig(fit.sigma)],
    ['kappa  κ (coherency)', sig(fit.kappa)],
    ['lambda λ (X at N=1)', sig(fit.lambda)],
    ['peak', peakLine],
    ['r²', fit.r2.toFixed(4)],
  ];
  const { intervals, quality } = fit;
  if (intervals) {
    const range = ([lo, hi]: [number, number]) => `${sig(lo, 4)} … ${sig(hi, 4)}`;
    const level = `${intervals.level * 100} %`;
    rows.splice(
      3,
      0,
      [`σ ${level} interval`, range(intervals.sigma)],
      [`κ ${level} interval`, range(intervals.kappa)],
      [`λ ${level} interval`, range(intervals.lambda)],
    );
  }
  if (fit.atBound.length > 0) rows.push(['at bound', fit.atBound.join(', ')]);
  rows.push([
    'quality',
    `${quality.verdict.toUpperCase()}: residuals ${(quality.relativeResidual * 100).toFixed(1)} % of mean X, ${quality.levels} levels`,
  ]);
  for (const reason of quality.reasons) rows.push(['  poor:', reason]);
  const width = Math.max(...rows.map(([label]) => label.length));
  const body = rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n');
  return `USL fit of ${file} (${fit.points} points)\n${body}\n`;
}

/** Reads `file` (the value of `flag`) and parses it; every problem, located, is bad input. */
export async function readInput<T>(
  flag: string,
  file: string | undefined,
  what: string,
  parse: (text: string, file: string) => InputResult<T>,
): Promise<T> {
  if (!file) throw new UsageError(flag, `required: ${what}`);
  const text = await readText(file, flag);
  const result = parse(text, file);
  if (!result.ok)
    throw new UsageError(undefined, result.problems.map(formatInputProblem).join('\n  '));
  return result.value;
}

/** The `--model` and `--forecast` files that `capacity plan` and `capacity validate` read. */
export async function readModelAndForecast(options: {
  model?: string;
  forecast?: string;
}): Promise<{ model: CapacityModel; forecast: Forecast }> {
  const model = await readInput(
    '--model',
    options.model,
    'a model file from `loadline capacity fit`',
    (t, f) => parseInput(t, CapacityModel, f),
  );
  const forecast = await readInput('--forecast', options.forecast, 'a forecast YAML file', (t, f) =>
    parseInput(t, Forecast, f),
  );
  return { model, forecast };
}

export interface CapacityFitOptions {
  from?: string;
  runs?: string;
  api?: string;
  /** `service=N`, repeatable; default 1 */
  cores?: string[];
  /** p99 objective for every service, e.g. 200ms */
  sloP99?: string;
  /** CPU ceiling for every service, 0..1 */
  cpuCeiling?: string;
  /** steps that are entry requests, comma-separated (default: every step) */
  entrySteps?: string;
  json?: boolean;
  out?: string;
}

/** Reads what control stored for `runs`: scraped target metrics and per-step seconds. */
async function storedRuns(ids: string[], client: ControlClient): Promise<StoredRun[]> {
  const api = client.baseUrl;
  const runs: StoredRun[] = [];
  for (const id of ids) {
    const unknownRun = (error: unknown): never => {
      if (error instanceof ApiProblem && error.status === 404)
        throw new UsageError('--runs', `no run ${id} in control at ${api}`);
      throw error;
    };
    const params = { id };
    const metrics = await client.call(controlApi.runTargetMetrics, { params }).catch(unknownRun);
    const steps = await client
      .call(controlApi.runSeries, { params, query: { by: 'step' } })
      .catch(unknownRun);
    runs.push({ runId: id, targetMetrics: metrics.rows, steps: steps.series });
  }
  return runs;
}

function fromRunsOptions(options: CapacityFitOptions): FromRunsOptions {
  const cores: Record<string, number> = {};
  for (const entry of options.cores ?? []) {
    const match = /^([A-Za-z0-9_.-]+)=(\d+)$/.exec(entry);
    if (!match || Number(match[2]) < 1)
      throw new UsageError('--cores', `expected SERVICE=N (N ≥ 1), got "${entry}"`);
    cores[match[1] as string] = Number(match[2]);
  }
  const p99 = options.sloP99 === undefined ? 500 : (parseDuration(options.sloP99) ?? Number.NaN);
  if (!(p99 > 0))
    throw new UsageError('--slo-p99', `expected a duration like 200ms, got "${options.sloP99}"`);
  const ceiling = options.cpuCeiling === undefined ? undefined : Number(options.cpuCeiling);
  if (ceiling !== undefined && !(ceiling > 0 && ceiling <= 1))
    throw new UsageError(
      '--cpu-ceiling',
      `expected a number in (0, 1], got "${options.cpuCeiling}"`,
    );
  return {
    cores,
    slo: { p99Ms: p99, ...(ceiling === undefined ? {} : { cpuCeiling: ceiling }) },
    ...(options.entrySteps
      ? { entrySteps: options.entrySteps.split(',').map((s) => s.trim()) }
      : {}),
  };
}

/**
 * `loadline capacity fit --from measurements.json [--json] [--out model.json]`: the capacity
 * model (per-machine capacities, curves, fan-out ratios, cost history) from measurements.
 */
export async function runCapacityFit(
  options: CapacityFitOptions,
  io: CapacityIo,
  env: ApiEnv = { LOADLINE_API: DEFAULT_API_URL },
): Promise<number> {
  if ((options.runs === undefined) === (options.from === undefined)) {
    throw new UsageError(
      options.runs === undefined ? '--from' : '--runs',
      'give either --from FILE (measurements) or --runs ID,ID (stored runs with scraped target metrics)',
    );
  }
  if (options.out) await checkOutFile(options.out);
  let measurements: Measurements;
  let source: string;
  if (options.runs !== undefined) {
    const ids = options.runs
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (ids.length === 0) throw new UsageError('--runs', 'expected run IDs, comma-separated');
    const fromOptions = fromRunsOptions(options);
    const runs = await storedRuns(ids, ControlClient.for(options.api, env));
    measurements = measurementsFromRuns(runs, fromOptions);
    if (Object.keys(measurements.services).length === 0) {
      throw new UsageError(
        '--runs',
        `no target metrics stored for ${ids.join(', ')}: list the targets' /metrics URLs under metricsTargets in the run's environment, then run again`,
      );
    }
    source = `runs ${ids.join(',')}`;
  } else {
    const file = options.from as string;
    measurements = await readInput(
      '--from',
      file,
      'a measurements JSON file ({ services: { NAME: { cores, slo, ramp } }, fanout: [...] })',
      (text, f) => parseInput(text, Measurements, f),
    );
    source = file;
  }
  const model = await buildModel(measurements, {
    source,
    defaultRun: options.from ? basename(options.from, extname(options.from)) : source,
  }).catch((error: unknown) => {
    if (error instanceof UslInputError)
      throw new UsageError(undefined, `${source}: ${error.message}`);
    throw error;
  });
  const text = `${JSON.stringify(model, null, 2)}\n`;
  if (options.out) await writeOutFile(options.out, text);
  if (options.json) {
    io.stdout.write(text);
    return ExitCode.passed;
  }
  io.stdout.write(renderModel(model, options.out));
  for (const s of model.services) {
    for (const reason of s.capacity.unmet) io.stderr.write(`unmet: ${s.service}: ${reason}\n`);
    for (const warning of s.capacity.warnings)
      io.stderr.write(`warning: ${s.service}: ${warning}\n`);
  }
  return ExitCode.passed;
}

/** The model in a few lines: what each machine carries, what binds, which ratios were refused. */
export function renderModel(model: CapacityModel, out: string | undefined): string {
  const lines = model.services.map(
    (s) =>
      `  ${s.service.padEnd(16)} ${formatCapacity(s.capacity).padStart(8)} QPS per machine  (${bindingText(s.capacity)}; ${s.cores} cores)`,
  );
  const refused = Object.entries(model.fanout.services).filter(([, f]) => f.refused);
  for (const [service, f] of refused) lines.push(`  ratios refused for ${service}: ${f.reason}`);
  const where = out ? `wrote ${out}` : 'not written: add --out model.json';
  return `capacity model from ${model.provenance.source} (runs ${model.provenance.runs.join(', ')})\n${lines.join('\n')}\n${where}\n`;
}

export const PLAN_FORMATS = ['json', 'md', 'csv', 'xlsx', 'pdf', 'html'] as const;
export type PlanFormat = (typeof PLAN_FORMATS)[number];
const BINARY: readonly PlanFormat[] = ['xlsx', 'pdf'];

export interface CapacityPlanOptions {
  model?: string;
  forecast?: string;
  format?: string;
  out?: string;
  json?: boolean;
  /** plan at this quantile of each capacity's range, over the forecast's capacityQuantile */
  quantile?: string;
}

/** --format, else the --out file's extension, else Markdown. */
function planFormat(options: CapacityPlanOptions): PlanFormat {
  const byExtension = options.out ? extname(options.out).slice(1).toLowerCase() : '';
  const format = options.format ?? (byExtension === 'markdown' ? 'md' : byExtension);
  if ((PLAN_FORMATS as readonly string[]).includes(format)) return format as PlanFormat;
  if (options.format === undefined) return 'md';
  throw new UsageError('--format', `expected one of ${PLAN_FORMATS.join(', ')}, got "${format}"`);
}

async function renderPlan(
  format: PlanFormat,
  plan: Plan,
  model: CapacityModel,
  chromiumPath: string | undefined,
): Promise<string | Buffer> {
  switch (format) {
    case 'json':
      return `${JSON.stringify(plan, null, 2)}\n`;
    case 'md':
      return planToMarkdown(plan, model);
    case 'csv':
      return planToCsv(plan, model);
    case 'xlsx':
      return planToXlsx(plan, model);
    case 'html':
      return planToHtml(plan, model);
    case 'pdf':
      try {
        return await planToPdf(planToHtml(plan, model), { executablePath: chromiumPath });
      } finally {
        // The shared browser would idle on for BROWSER_IDLE_MS: this process is done with it.
        await closeReportBrowsers();
      }
  }
}

/**
 * `loadline capacity plan --model M --forecast F [--format F] [--out FILE] [--json]`: the
 * machine plan as a report. Exit 1 when anything is unmet: the counts are then not firm.
 */
export async function runCapacityPlan(
  options: CapacityPlanOptions,
  io: CapacityIo,
  env: Pick<CliEnv, 'CHROMIUM_PATH'> = {},
): Promise<number> {
  const format = planFormat(options);
  const toStdout = !options.out;
  if (toStdout && BINARY.includes(format))
    throw new UsageError('--out', `required for --format ${format}: it is a binary file`);
  if (toStdout && options.json && options.format !== undefined && format !== 'json')
    throw new UsageError(
      '--out',
      'required with --json and --format: stdout carries the plan JSON',
    );
  if (options.out) await checkOutFile(options.out);
  const quantile = options.quantile === undefined ? undefined : Number(options.quantile);
  // The forecast's own rule for capacityQuantile: one range, checked in one place.
  if (quantile !== undefined && !Forecast.shape.capacityQuantile.safeParse(quantile).success) {
    throw new UsageError(
      '--quantile',
      `expected a quantile in (0, 0.5] (0.1 plans for a capacity 90 % likely to hold), got "${options.quantile}"`,
    );
  }
  const { model, forecast } = await readModelAndForecast(options);
  const plan = planFromModel(
    model,
    quantile === undefined ? forecast : { ...forecast, capacityQuantile: quantile },
  );
  let report: string | Buffer;
  try {
    report = await renderPlan(format, plan, model, env.CHROMIUM_PATH);
  } catch (error) {
    if (!(error instanceof BrowserError)) throw error;
    io.stderr.write(`loadline: ${error.message}\n`);
    return ExitCode.internalError;
  }
  if (options.out) await writeOutFile(options.out, report);
  if (options.json) io.stdout.write(`${JSON.stringify(plan)}\n`);
  else if (toStdout) io.stdout.write(report);
  else io.stdout.write(`${renderPlanSummary(plan)}wrote ${options.out} (${format})\n`);
  for (const u of plan.unmet) io.stderr.write(`unmet: ${u.service ?? 'forecast'}: ${u.reason}\n`);
  return plan.unmet.length > 0 ? ExitCode.thresholdsFailed : ExitCode.passed;
}

/** What planning below the median costs, when it costs a machine: what the median would need. */
function marginOf(s: Plan['services'][number]): string {
  if (s.medianMachines === null || s.medianMachines === s.machines) return '';
  return `; at q${s.quantile} ${Math.round(s.capacityQps ?? 0)} QPS a machine, the median ${Math.round(s.medianCapacityQps ?? 0)} would need ${s.medianMachines}`;
}

/** Machines per service and the bottleneck, for the terminal. */
export function renderPlanSummary(plan: Plan): string {
  const rows = plan.services.map(
    (s) =>
      `  ${s.service.padEnd(16)} ${String(s.machines ?? '?').padStart(5)} machines  (${Math.round(s.requiredQps)} QPS, N+${s.spares}${s.bindingResource ? `, ${s.bindingResource} runs out first` : ''}${marginOf(s)})`,
  );
  const bottleneck = plan.bottleneck
    ? `; bottleneck ${plan.bottleneck.service} (headroom ${(plan.bottleneck.headroom * 100).toFixed(1)}%)`
    : '';
  const unmet = plan.unmet.length > 0 ? `; ${plan.unmet.length} UNMET` : '';
  return `${plan.totalMachines} machines${bottleneck}${unmet}\n${rows.join('\n')}\n`;
}
