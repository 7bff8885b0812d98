import { computeCapacity, type RampPoint } from './capacity.js';
import type { CostRun } from './drift.js';
import { fitFanout } from './fanout.js';
import { fitLine } from './linear.js';
import { Measurements, type ServiceMeasurements } from './measurements.js';
import type { CapacityModel, ServiceModel, UslCurve } from './model.js';
import { rampConcurrency } from './ramp.js';
import { fitUsl, UslInputError } from './usl.js';

export interface BuildModelOptions {
  /** Where the measurements came from, recorded in the model's provenance. */
  source: string;
  /** The run id when the measurements do not name one. */
  defaultRun: string;
  /** Injected so tests get a stable model; defaults to the current time. */
  now?: Date;
}

/**
 * A capacity model from one measurements file: each service's per-machine capacity from its
 * ramp, the fan-out ratios from the per-second samples, and the cost history starting with
 * this run's CPU per request (the baseline the capacity was measured at).
 */
export async function buildModel(
  input: Measurements,
  options: BuildModelOptions,
): Promise<CapacityModel> {
  const measurements = Measurements.parse(input);
  const run = measurements.run ?? options.defaultRun;
  const names = Object.keys(measurements.services).sort();
  // One at a time: each fit loads the same tfjs backend, and two cores are all there may be.
  const services: ServiceModel[] = [];
  for (const name of names) services.push(await serviceModel(name, measurements.services[name]!));
  const later = measurements.costs ?? [];
  return {
    version: 1,
    provenance: {
      runs: [...new Set([run, ...later.map((c) => c.run)])],
      source: options.source,
      createdAt: (options.now ?? new Date()).toISOString(),
    },
    services,
    fanout: fitFanout(measurements.fanout),
    costHistory: [costRun(run, services), ...later],
  };
}

async function serviceModel(service: string, m: ServiceMeasurements): Promise<ServiceModel> {
  const capacity = await computeCapacity({ service, cores: m.cores, slo: m.slo, points: m.ramp });
  const cpu =
    fitLine(
      m.ramp.map((p) => p.qps),
      m.ramp.map((p) => p.cpu),
    ) ?? null;
  return {
    service,
    cores: m.cores,
    slo: m.slo,
    capacity,
    ramp: m.ramp,
    usl: await uslCurve(m.ramp, capacity.limits.usl),
    cpu,
  };
}

/**
 * The capacity keeps the USL parameters only when the curve has a ceiling; a chart needs
 * them anyway, so a curve without one (linear growth) is fitted again here.
 */
async function uslCurve(
  ramp: readonly RampPoint[],
  limit: { sigma: number; kappa: number; lambda: number; r2: number } | null,
): Promise<UslCurve | null> {
  const points = ramp.map((p) => ({ concurrency: rampConcurrency(p), throughput: p.qps }));
  if (
    new Set(points.map((p) => p.concurrency)).size < 3 ||
    points.some((p) => !(p.concurrency > 0))
  )
    return null;
  if (limit) {
    const { sigma, kappa, lambda, r2 } = limit;
    return { sigma, kappa, lambda, r2, points };
  }
  try {
    const { sigma, kappa, lambda, r2 } = await fitUsl(points);
    return { sigma, kappa, lambda, r2, points };
  } catch (error) {
    if (error instanceof UslInputError) return null;
    throw error;
  }
}

/** This run's marginal CPU-seconds per request: the CPU line's slope across all cores. */
function costRun(run: string, services: readonly ServiceModel[]): CostRun {
  const cost = services
    .filter((s) => s.cpu !== null && s.cpu.slope > 0)
    .map((s) => [s.service, s.cpu!.slope * s.cores] as const);
  return { run, cpuSecondsPerRequest: Object.fromEntries(cost) };
}
