// `loadline capacity validate`: the plan's own proof. Scale the demo mall to the plan
// (each service gets the machines the plan gives it, as instances), drive the forecast's
// entry rates through the scenario's flows, read every instance's own /metrics each second,
// and say whether each service kept its SLO.
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  type Forecast,
  fitLine,
  type PlanValidation,
  planFromModel,
  type ServiceModel,
  type ServiceValidation,
} from '@loadline/capacity';
import { type CliEnv, DEFAULT_REDIS_URL, redactUrl } from '@loadline/config';
import { BACKENDS, type BackendName, startDemoMall } from '@loadline/demo-mall';
import { compileScenario, FlowRunner, summarizeFlows } from '@loadline/engine';
import {
  bucketQuantile,
  type IntervalBuckets,
  mergeBuckets,
  type TargetMetricRow,
  TargetScraper,
} from '@loadline/metrics';
import { redisAnswers } from '@loadline/queue';
import {
  DEFAULT_MAX_IN_FLIGHT,
  parseDuration,
  parseScenario,
  type Scenario,
} from '@loadline/scenario';
import { ExitCode, UsageError } from '../exit-codes.js';
import { readScenarioText } from '../read-text.js';
import { type CapacityIo, readModelAndForecast } from './capacity.js';

export interface CapacityValidateOptions {
  model?: string;
  forecast?: string;
  scenario?: string;
  duration?: string;
  json?: boolean;
}

/** What validation found for one service (the shape `--json` prints, PlanValidation's). */
export type ServiceVerdict = ServiceValidation;

/** What the plan predicts for one service's instances at the forecast. */
export interface Prediction {
  qpsPerInstance: number;
  cpu: number | null;
}

/**
 * Per service, the load the plan puts on each instance (all of them serve, spares too) and
 * the CPU the model's own CPU-vs-QPS line gives there: what validation measures it against.
 */
export function predictions(
  services: ReadonlyArray<Pick<ServiceModel, 'service' | 'ramp'>>,
  requiredQps: Record<string, number>,
  instances: Record<string, number>,
): Record<string, Prediction> {
  return Object.fromEntries(
    services.map((s) => {
      const qpsPerInstance = (requiredQps[s.service] ?? 0) / (instances[s.service] ?? 1);
      const line = fitLine(
        s.ramp.map((p) => p.qps),
        s.ramp.map((p) => p.cpu),
      );
      const cpu = line ? Math.max(0, line.intercept + line.slope * qpsPerInstance) : null;
      return [s.service, { qpsPerInstance, cpu }];
    }),
  );
}

/** The scenario with the forecast's entry rates: each flow weighted by its first step's kind. */
export function forecastScenario(
  scenario: Scenario,
  forecast: Forecast,
  target: string,
  durationMs: number,
) {
  const flows = scenario.flows
    .map((flow) => ({ ...flow, weight: forecast.entries[flow.steps[0]?.name ?? ''] ?? 0 }))
    .filter((flow) => flow.weight > 0);
  const rate = flows.reduce((sum, f) => sum + f.weight, 0);
  return {
    scenario: { ...scenario, target, flows },
    rate,
    profile: { startRate: rate, stages: [{ durationMs, target: rate }] },
  };
}

/** What the scraper saw of the scaled mall: each instance-second's row and histogram. */
export interface Observed {
  rows: readonly TargetMetricRow[];
  buckets: readonly IntervalBuckets[];
}

/** The p99 (ms) of a service's requests over the whole window, from merged buckets. */
function mergedP99Ms(buckets: readonly IntervalBuckets[], service: string): number | null {
  const merged = mergeBuckets(buckets.filter((b) => b.service === service).map((b) => b.buckets));
  const p99 = bucketQuantile(merged, 0.99);
  return p99 === null ? null : p99 * 1000;
}

/** The mean of some figures, null of none. */
function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

export function verdicts(
  services: ReadonlyArray<Pick<ServiceModel, 'service' | 'cores' | 'slo'>>,
  instances: Record<string, number>,
  observed: Observed,
  predicted: Record<string, Prediction> = {},
): ServiceVerdict[] {
  return services.map((s) => {
    const rows = observed.rows.filter((r) => r.service === s.service && r.intervalS > 0);
    const cpus = rows
      .filter((r) => r.cpuSeconds >= 0)
      .map((r) => r.cpuSeconds / r.intervalS / s.cores);
    const rates = rows.map((r) => r.requests / r.intervalS);
    const prediction = predicted[s.service];
    const p99Ms = mergedP99Ms(observed.buckets, s.service);
    const cpu = mean(cpus);
    const predictedCpu = prediction?.cpu ?? null;
    const sloP99Ms = s.slo.p99Ms ?? null;
    const cpuCeiling = s.slo.cpuCeiling ?? null;
    const held =
      (sloP99Ms === null || p99Ms === null || p99Ms <= sloP99Ms) &&
      (cpuCeiling === null || cpu === null || cpu <= cpuCeiling);
    return {
      service: s.service,
      instances: instances[s.service] ?? 1,
      p99Ms,
      sloP99Ms,
      cpu,
      cpuCeiling,
      held,
      predictedQpsPerInstance: prediction?.qpsPerInstance ?? null,
      measuredQpsPerInstance: mean(rates),
      predictedCpu,
      cpuError:
        cpu === null || predictedCpu === null || !(predictedCpu > 0)
          ? null
          : (cpu - predictedCpu) / predictedCpu,
    };
  });
}

export async function runCapacityValidate(
  options: CapacityValidateOptions,
  io: CapacityIo,
  env: Pick<CliEnv, 'REDIS_URL'> = {},
): Promise<number> {
  const { model, forecast } = await readModelAndForecast(options);
  if (!options.scenario)
    throw new UsageError(
      '--scenario',
      'required: the scenario whose flows carry the entry requests',
    );
  const text = await readScenarioText(options.scenario, '--scenario');
  const parsed = parseScenario(text);
  if (!parsed.ok) {
    throw new UsageError(
      undefined,
      `${options.scenario}: ${parsed.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`).join('; ')}`,
    );
  }
  const durationMs = parseDuration(options.duration ?? '20s');
  if (!durationMs)
    throw new UsageError('--duration', `expected a duration like 20s, got "${options.duration}"`);

  const plan = planFromModel(model, forecast);
  if (plan.unmet.length > 0) {
    for (const u of plan.unmet)
      io.stderr.write(`unmet: ${u.service ? `${u.service}: ` : ''}${u.reason}\n`);
    io.stderr.write('loadline: the plan has unmet parts; there is nothing firm to validate\n');
    return ExitCode.thresholdsFailed;
  }
  // The demo mall scales its backends; the gateway stays one instance.
  const instances: Record<string, number> = {};
  for (const s of plan.services) {
    if (s.machines !== null && (BACKENDS as readonly string[]).includes(s.service)) {
      instances[s.service] = Math.min(64, Math.max(1, s.machines));
    }
  }
  const redisUrl = env.REDIS_URL ?? DEFAULT_REDIS_URL;
  if (!(await redisAnswers(redisUrl, 1000))) {
    throw new UsageError(
      undefined,
      `the demo mall needs Redis: none answers at ${redactUrl(redisUrl)} (set REDIS_URL)`,
    );
  }
  const mall = await startDemoMall({
    port: 0,
    redisUrl,
    redisPrefix: `validate-${Date.now().toString(36)}:`,
    dataDir: join(tmpdir(), `loadline-validate-${process.pid}-${Date.now()}`),
    instances: instances as Partial<Record<BackendName, number>>,
  });
  const observed = { rows: [] as TargetMetricRow[], buckets: [] as IntervalBuckets[] };
  try {
    const shaped = forecastScenario(parsed.scenario, forecast, mall.url, durationMs);
    if (shaped.scenario.flows.length === 0) {
      throw new UsageError(
        '--scenario',
        `no flow starts with a step named after a forecast entry kind (${Object.keys(forecast.entries).join(', ')})`,
      );
    }
    const compiled = compileScenario(shaped.scenario, {
      baseDir: dirname(resolve(options.scenario)),
    });
    const runner = new FlowRunner({
      plan: compiled,
      model: { kind: 'open', profile: shaped.profile, maxInFlight: DEFAULT_MAX_IN_FLIGHT },
      runId: `validate_${Date.now().toString(36)}`,
      startAt: Date.now() + 1200,
    });
    const targets = Object.entries(mall.services).flatMap(([service, urls]) =>
      urls.map((url) => ({
        service,
        url: `${url}/metrics`,
        cpuMetric: 'demo_cost_cpu_seconds_total',
      })),
    );
    const scraper = new TargetScraper('validate', targets, {
      onRows: (r) => void observed.rows.push(...r),
      onBuckets: (b) => void observed.buckets.push(...b),
    });
    scraper.start(Date.now() + 1200);
    io.stderr.write(
      `validating: the mall scaled to ${JSON.stringify(instances)}, ${shaped.rate.toFixed(0)} entry requests/s for ${durationMs / 1000} s\n`,
    );
    const report = await runner.run();
    await scraper.stop();
    const found = verdicts(
      model.services,
      instances,
      observed,
      predictions(
        model.services,
        Object.fromEntries(plan.services.map((s) => [s.service, s.requiredQps])),
        instances,
      ),
    );
    const { requests, errors } = summarizeFlows(report.totals).total;
    const errorRate = requests === 0 ? 0 : errors / requests;
    const held = found.every((v) => v.held) && errorRate < 0.01;
    if (options.json) {
      io.stdout.write(
        `${JSON.stringify({ held, instances, requests, errorRate, services: found } satisfies PlanValidation)}\n`,
      );
    } else {
      const ms = (v: number | null) => (v === null ? '–' : `${v.toFixed(1)} ms`);
      const share = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(0)}%`);
      io.stdout.write(
        [
          `${held ? 'HELD' : 'NOT HELD'}: ${requests} requests, ${(errorRate * 100).toFixed(2)}% errors`,
          ...found.map(
            (v) =>
              `  ${v.held ? 'ok  ' : 'FAIL'} ${v.service.padEnd(12)} ${String(v.instances).padStart(3)} instance(s)  p99 ${ms(v.p99Ms)} (SLO ${ms(v.sloP99Ms)})  CPU ${share(v.cpu)} (ceiling ${share(v.cpuCeiling)}; predicted ${share(v.predictedCpu)}${v.cpuError === null ? '' : `, error ${(v.cpuError * 100).toFixed(0)}%`})`,
          ),
          '',
        ].join('\n'),
      );
    }
    return held ? ExitCode.passed : ExitCode.thresholdsFailed;
  } finally {
    await mall.close();
  }
}
