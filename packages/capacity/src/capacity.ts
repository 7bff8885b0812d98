import { z } from 'zod';
import { GaugeLimit, gaugeLimit, gaugeNames } from './gauge.js';
import { EXTRAPOLATION_FACTOR, KneeLimit, kneeLimit } from './knee.js';
import { rampConcurrency } from './ramp.js';
import { Slo, SloLimit, sloLimit } from './slo.js';
import { fitUsl } from './usl.js';
import { peakThroughput } from './usl-model.js';
import { DEFAULT_USL_GATES, derivedInterval, INTERVAL_LEVEL } from './usl-quality.js';

export const RampPoint = z.object({
  qps: z.number().positive(),
  p99Ms: z.number().nonnegative(),
  /** Machine CPU utilisation, 0..1 across all its cores. */
  cpu: z.number().min(0).max(1),
  /**
   * Requests in flight on average: from runs, Little's law on the service's own figures
   * (busy seconds ÷ seconds); without it qps × latency (mean when given, else p99).
   */
  concurrency: z.number().positive().optional(),
  /** Mean latency for Little's law; without it p99 is used, which overstates concurrency. */
  meanLatencyMs: z.number().positive().optional(),
  /** A run's first level, its warm-up (cold caches, connections): fitted, never a breach. */
  warmUp: z.boolean().optional(),
  /**
   * Saturation gauges (a DB pool in use, event-loop delay, memory, a queue's depth), each as
   * its share of its ceiling (1: at the ceiling), averaged over the level.
   */
  gauges: z.record(z.string(), z.number().nonnegative()).optional(),
});
export type RampPoint = z.infer<typeof RampPoint>;

/** A single-machine ramp of one service: one point per load level, lowest load first. */
export const Ramp = z.object({
  service: z.string().min(1),
  cores: z.number().int().positive(),
  slo: Slo,
  points: z.array(RampPoint).min(1),
});
export type Ramp = z.infer<typeof Ramp>;

export const UslLimit = z.object({
  qps: z.number(),
  /** `peak`: X at N*; `asymptote`: κ = 0, so the Amdahl limit λ/σ (never quite reached). */
  kind: z.enum(['peak', 'asymptote']),
  concurrency: z.number().nullable(),
  sigma: z.number(),
  kappa: z.number(),
  lambda: z.number(),
  r2: z.number(),
  /** Beyond 2× the highest load measured: a model's guess, not a measurement. */
  extrapolated: z.boolean(),
  /** The ramp went past the peak concurrency: throughput topped out within the data. */
  reached: z.boolean(),
  /** `qps`'s standard error and 95 % interval, by the delta method from the fit's covariance */
  standardError: z.number().optional(),
  range: z.tuple([z.number(), z.number()]).optional(),
});
export type UslLimit = z.infer<typeof UslLimit>;

/**
 * Where a machine's capacity lies, not just the point: `bracket`, between the last ramp level
 * that held the SLO and the first that broke it (the point interpolated inside); `interval`,
 * a confidence interval of a model limit (its standard error given).
 */
export const CapacityRange = z.object({
  low: z.number().nonnegative(),
  high: z.number().nonnegative(),
  basis: z.enum(['bracket', 'interval']),
  /** `interval`: the standard error of the capacity, and the interval's level */
  standardError: z.number().nonnegative().optional(),
  level: z.number().gt(0).lt(1).optional(),
});
export type CapacityRange = z.infer<typeof CapacityRange>;

export const LimitName = z.enum(['slo', 'usl', 'knee', 'gauge']);
export type LimitName = z.infer<typeof LimitName>;

export const MachineCapacity = z.object({
  service: z.string(),
  /** QPS one machine can serve; when `lowerBound`, only that it serves more than this. */
  qps: z.number().nonnegative(),
  lowerBound: z.boolean(),
  /** With a lower bound: the lowest model limit above it (the capacity is at most this). */
  upperBoundQps: z.number().nullable(),
  binding: LimitName,
  /**
   * What runs out first at `qps`: `p99 latency` or `CPU` (the SLO), `CPU` (the knee),
   * `contention` (the USL peak), or a saturation gauge's name (`db_pool`). Absent for a
   * lower bound (nothing ran out) and in model files written before it.
   */
  resource: z.string().optional(),
  /** Where the binding limit lies; absent for a lower bound, a knee, or an older model file. */
  range: CapacityRange.optional(),
  limits: z.object({
    slo: SloLimit,
    usl: UslLimit.nullable(),
    knee: KneeLimit.nullable(),
    /** by gauge name: where each saturation gauge reaches its ceiling */
    gauges: z.record(z.string(), GaugeLimit).default({}),
  }),
  maxMeasuredQps: z.number(),
  /**
   * A limit reported here (USL peak or knee) lies beyond 2× the highest load measured: a
   * model's guess, easily mistaken for the capacity when the SLO was never breached.
   */
  extrapolated: z.boolean(),
  warnings: z.array(z.string()),
  /**
   * What keeps this capacity from being firm, each with the run that would fix it: a model
   * limit whose fit is too poor to bind (it is left out of `limits`). A plan lists these as
   * unmet. Absent in model files written before the gates.
   */
  unmet: z.array(z.string()).default([]),
});
export type MachineCapacity = z.infer<typeof MachineCapacity>;

/**
 * Per-machine capacity of one service: the lowest of the SLO-limited load, the USL peak, the
 * queueing knee and each saturation gauge's ceiling, naming the one that binds. A ramp that never breached its SLO shows only
 * that the machine does at least its highest load, so unless another limit binds below that
 * the result is a lower bound, never a capacity.
 */
export async function computeCapacity(input: z.input<typeof Ramp>): Promise<MachineCapacity> {
  const ramp = Ramp.parse(input);
  const warnings: string[] = [];
  const maxMeasuredQps = Math.max(...ramp.points.map((p) => p.qps));
  const slo = sloLimit(ramp.points, ramp.slo);
  if (slo.breached && slo.qps === 0) {
    warnings.push('the SLO was breached at the lowest load run: ramp from a lower load');
  }
  const unmet: string[] = [];
  const usl = await uslLimit(ramp, maxMeasuredQps, warnings, unmet);
  const knee = trustedKnee(ramp, maxMeasuredQps, warnings, unmet);

  const gauges: Record<string, GaugeLimit> = {};
  for (const name of gaugeNames(ramp.points)) {
    const limit = gaugeLimit(ramp.points, name, ramp.service, warnings);
    if (limit) gauges[name] = limit;
  }

  const models: Candidate[] = [];
  if (usl) models.push({ name: 'usl', qps: usl.qps });
  if (knee) models.push({ name: 'knee', qps: knee.qps });
  for (const [gauge, limit] of Object.entries(gauges)) {
    models.push({ name: 'gauge', qps: limit.qps, gauge });
  }
  // An unbreached SLO still limits (from above some unknown load) unless throughput visibly
  // topped out: past the USL peak more load brings no more QPS, so the SLO is not what binds.
  const sloCounts = slo.breached || !usl?.reached;
  // Ties go to the SLO, listed first: an unbreached SLO tied with a model limit is still a bound.
  const candidates: Candidate[] = sloCounts ? [{ name: 'slo', qps: slo.qps }, ...models] : models;
  const binding = candidates.reduce((low, c) => (c.qps < low.qps ? c : low));
  const lowerBound = binding.name === 'slo' && !slo.breached;
  const above = models.filter((m) => m.qps >= binding.qps).map((m) => m.qps);
  const upperBoundQps = lowerBound && above.length > 0 ? Math.min(...above) : null;
  const beyond = candidates.filter((c) => c.qps > EXTRAPOLATION_FACTOR * maxMeasuredQps);
  for (const c of beyond) {
    warnings.push(
      `EXTRAPOLATED: the ${c.gauge ?? c.name} limit ${Math.round(c.qps)} QPS is over ${EXTRAPOLATION_FACTOR}× the highest load measured (${maxMeasuredQps} QPS); ramp higher before relying on it`,
    );
  }
  if (lowerBound) {
    warnings.push(
      `the ramp never breached the SLO: capacity is only known to exceed ${maxMeasuredQps} QPS`,
    );
  }
  const range = lowerBound
    ? undefined
    : binding.gauge !== undefined
      ? gaugeRange(gauges[binding.gauge]!)
      : rangeOf(binding.name, slo, usl, knee);
  return {
    service: ramp.service,
    qps: binding.qps,
    lowerBound,
    upperBoundQps,
    binding: binding.name,
    ...(lowerBound ? {} : { resource: resourceOf(binding, slo) }),
    ...(range ? { range } : {}),
    limits: { slo, usl, knee, gauges },
    maxMeasuredQps,
    extrapolated: beyond.length > 0,
    warnings,
    unmet,
  };
}

interface Candidate {
  name: LimitName;
  qps: number;
  /** the saturation gauge, for `gauge` */
  gauge?: string;
}

/** What runs out first, in a planner's words. */
function resourceOf(binding: Candidate, slo: SloLimit): string {
  switch (binding.name) {
    case 'slo':
      return slo.by === 'cpu' ? 'CPU' : 'p99 latency';
    case 'knee':
      return 'CPU';
    case 'usl':
      return 'contention';
    case 'gauge':
      return binding.gauge as string;
  }
}

/** A gauge that crossed its ceiling lies between the level that held and the one that broke. */
function gaugeRange(limit: GaugeLimit): CapacityRange | undefined {
  return limit.between
    ? { low: limit.between[0], high: limit.between[1], basis: 'bracket' }
    : undefined;
}

/** Where the binding limit lies: its bracket of ramp levels, or its model's interval. */
function rangeOf(
  binding: LimitName,
  slo: SloLimit,
  usl: UslLimit | null,
  knee: KneeLimit | null,
): CapacityRange | undefined {
  if (binding === 'slo' && slo.between) {
    return { low: slo.between[0], high: slo.between[1], basis: 'bracket' };
  }
  const model = binding === 'usl' ? usl : binding === 'knee' ? knee : null;
  if (model?.range && model.standardError !== undefined) {
    return {
      low: Math.max(0, model.range[0]),
      high: model.range[1],
      basis: 'interval',
      standardError: model.standardError,
      level: INTERVAL_LEVEL,
    };
  }
  return undefined;
}

/** Levels a CPU-vs-QPS line needs before its knee may bind: two always fit a line exactly. */
const MIN_CPU_LEVELS = 3;

/**
 * The queueing knee, when its CPU-vs-QPS line is one to plan from: the same R² gate as a
 * USL fit, on at least three levels. A line that explains little (CPU per request wandering
 * between levels: neighbours, GC, caches warming) does not bind, and the plan says so.
 */
function trustedKnee(
  ramp: Ramp,
  maxMeasuredQps: number,
  warnings: string[],
  unmet: string[],
): KneeLimit | null {
  const knee = kneeLimit(ramp.points, ramp.cores, maxMeasuredQps) ?? null;
  if (knee === null) {
    warnings.push('CPU does not rise with load: no queueing knee');
    return null;
  }
  const { minR2, minLevels } = DEFAULT_USL_GATES;
  const levels = new Set(ramp.points.map((p) => p.qps)).size;
  const fix = `to fix: ramp ${ramp.service} in ≥ ${minLevels} levels, each long enough to measure, on a machine nothing else loads`;
  if (levels < MIN_CPU_LEVELS) {
    unmet.push(`CPU-vs-QPS line on ${levels} levels, its knee does not bind; ${fix}`);
    return null;
  }
  if (!(knee.cpuFit.r2 >= minR2)) {
    unmet.push(
      `CPU-vs-QPS fit poor, its knee does not bind: R² ${knee.cpuFit.r2.toFixed(3)} < ${minR2}, CPU per request was not steady across levels; ${fix}`,
    );
    return null;
  }
  return knee;
}

/** Fits the USL to the ramp (throughput = QPS against concurrency) and takes its ceiling. */
async function uslLimit(
  ramp: Ramp,
  maxMeasuredQps: number,
  warnings: string[],
  unmet: string[],
): Promise<UslLimit | null> {
  const points = ramp.points.map((p) => ({ concurrency: rampConcurrency(p), throughput: p.qps }));
  const fix = `ramp ${ramp.service} past ${Math.round(maxMeasuredQps)} QPS in ≥ ${DEFAULT_USL_GATES.minLevels} levels`;
  if (
    new Set(points.map((p) => p.concurrency)).size < 3 ||
    points.some((p) => !(p.concurrency > 0))
  ) {
    unmet.push(`no USL fit (fewer than 3 distinct non-zero concurrency levels); to fix: ${fix}`);
    return null;
  }
  const fit = await fitUsl(points);
  warnings.push(...fit.warnings.map((w) => `USL: ${w}`));
  if (fit.quality.verdict === 'poor') {
    // A curve that explains little must not set a capacity (an R² 0.1 fit once planned 55
    // machines): the SLO and the knee bind instead, and the plan is not firm until a ramp
    // gives a fit that holds.
    unmet.push(`USL fit poor, it does not bind: ${fit.quality.reasons.join('; ')}; to fix: ${fix}`);
    return null;
  }
  const { sigma, kappa, lambda, r2, peak } = fit;
  if (peak.kind === 'none') return null;
  const qps = peak.throughput;
  const extrapolated = qps > EXTRAPOLATION_FACTOR * maxMeasuredQps;
  const reached =
    peak.concurrency !== null && peak.concurrency <= Math.max(...points.map((p) => p.concurrency));
  const { concurrency, kind } = peak;
  const spread = fit.intervals
    ? derivedInterval(fit, fit.intervals, (p) =>
        kind === 'peak' ? peakThroughput(p) : p.lambda / p.sigma,
      )
    : undefined;
  return {
    qps,
    kind,
    concurrency,
    sigma,
    kappa,
    lambda,
    r2,
    extrapolated,
    reached,
    ...(spread ? { standardError: spread.standardError, range: spread.range } : {}),
  };
}

/** "slo limit: CPU", "gauge limit: db_pool", "slo limit" (a lower bound): what binds. */
export function bindingText(capacity: Pick<MachineCapacity, 'binding' | 'resource'>): string {
  return `${capacity.binding} limit${capacity.resource ? `: ${capacity.resource}` : ''}`;
}

/** "4800" or, for a lower bound, "> 4800" (QPS rounded to whole requests). */
export function formatCapacity(capacity: Pick<MachineCapacity, 'qps' | 'lowerBound'>): string {
  return `${capacity.lowerBound ? '> ' : ''}${Math.round(capacity.qps)}`;
}
