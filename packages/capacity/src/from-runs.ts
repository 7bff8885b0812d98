// Measurements from stored runs: what control scraped from the targets' /metrics (per
// instance and second) and what the agents measured per step in the same seconds. The
// per-instance seconds of a single-machine ramp become its load levels; every second of a
// mixed run becomes a fan-out sample (entry requests by step → calls per service).
import type { RampPoint } from './capacity.js';
import type { FanoutSecond } from './fanout.js';
import type { Measurements } from './measurements.js';
import type { Slo } from './slo.js';

/** A scraped row as GET /runs/:id/target-metrics returns it. */
export interface ScrapedRow {
  service: string;
  instance: string;
  second: number;
  intervalS: number;
  requests: number;
  cpuSeconds: number;
  p50Ms: number;
  p99Ms: number;
  /** time spent on the interval's requests (Δ duration `_sum`); -1 or absent: not scraped */
  busySeconds?: number;
  /** saturation gauges, each as its share of its ceiling at the reading */
  gauges?: Record<string, number>;
}

/** What one stored run contributes. */
export interface StoredRun {
  runId: string;
  targetMetrics: ScrapedRow[];
  /** per step, per-second requests (GET /runs/:id/series?by=step) */
  steps: Record<string, Array<{ second: number; requests: number }>>;
}

export interface FromRunsOptions {
  /** cores per machine, by service (default `defaultCores`) */
  cores?: Record<string, number>;
  defaultCores?: number;
  slo: Slo;
  /** steps that are entry requests (default: every step) */
  entrySteps?: string[];
  /** seconds averaged into one load level (default 5) */
  levelSeconds?: number;
}

type RunRow = ScrapedRow & { run: string };

/** The upper median: one slow second (a cold start, a GC pause) does not make a level. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * One ramp point per instance and `levelSeconds` window, counted from the instance's first
 * second in its run (so a run's stages, which start with it, fall into whole windows):
 * rates and CPU averaged over the window (CPU as a share of the machine's cores), p99 the
 * median second's, concurrency by Little's law from the instance's busy seconds when its
 * histogram has a `_sum`; each instance's first window is marked its warm-up. Windows
 * without requests are skipped; points sorted by QPS.
 */
function rampOf(rows: RunRow[], cores: number, levelSeconds: number): RampPoint[] {
  const firstSecond = new Map<string, number>();
  for (const row of rows) {
    const at = `${row.run}|${row.instance}`;
    firstSecond.set(at, Math.min(firstSecond.get(at) ?? row.second, row.second));
  }
  const windows = new Map<string, RunRow[]>();
  for (const row of rows) {
    const at = `${row.run}|${row.instance}`;
    const key = `${at}|${Math.floor((row.second - (firstSecond.get(at) ?? 0)) / levelSeconds)}`;
    const list = windows.get(key) ?? [];
    list.push(row);
    windows.set(key, list);
  }
  const points: RampPoint[] = [];
  for (const [key, list] of windows) {
    const seconds = list.reduce((n, r) => n + r.intervalS, 0);
    const requests = list.reduce((n, r) => n + r.requests, 0);
    const withLatency = list.filter((r) => r.p99Ms >= 0);
    if (requests <= 0 || seconds <= 0 || withLatency.length === 0) continue;
    const withCpu = list.filter((r) => r.cpuSeconds >= 0);
    const cpuSeconds = withCpu.reduce((n, r) => n + r.cpuSeconds, 0);
    const cpuSpan = withCpu.reduce((n, r) => n + r.intervalS, 0);
    // Little's law on the instance's own figures: requests in flight on average = arrival
    // rate × mean time in the system = the seconds spent on requests over the seconds passed.
    const busy = list.every((r) => (r.busySeconds ?? -1) >= 0)
      ? list.reduce((n, r) => n + (r.busySeconds ?? 0), 0) / seconds
      : 0;
    const gauges = meanGauges(list);
    points.push({
      qps: requests / seconds,
      p99Ms: median(withLatency.map((r) => r.p99Ms)),
      cpu: cpuSpan > 0 ? Math.min(1, cpuSeconds / cpuSpan / cores) : 0,
      ...(busy > 0 ? { concurrency: busy } : {}),
      ...(gauges ? { gauges } : {}),
      // An instance's first window in a run is its warm-up: fitted, never its breach.
      ...(key.endsWith('|0') ? { warmUp: true } : {}),
    });
  }
  return points.sort((a, b) => a.qps - b.qps);
}

/** Each gauge's mean over the seconds of a level that read it. */
function meanGauges(rows: readonly ScrapedRow[]): Record<string, number> | undefined {
  const sums = new Map<string, { sum: number; n: number }>();
  for (const row of rows) {
    for (const [name, value] of Object.entries(row.gauges ?? {})) {
      const at = sums.get(name) ?? { sum: 0, n: 0 };
      at.sum += value;
      at.n++;
      sums.set(name, at);
    }
  }
  if (sums.size === 0) return undefined;
  return Object.fromEntries([...sums].map(([name, { sum, n }]) => [name, sum / n]));
}

export function measurementsFromRuns(runs: StoredRun[], options: FromRunsOptions): Measurements {
  const levelSeconds = options.levelSeconds ?? 5;
  const byService = new Map<string, RunRow[]>();
  for (const run of runs) {
    for (const row of run.targetMetrics) {
      const list = byService.get(row.service) ?? [];
      list.push({ ...row, run: run.runId });
      byService.set(row.service, list);
    }
  }
  const services: Measurements['services'] = {};
  for (const [service, rows] of byService) {
    const cores = options.cores?.[service] ?? options.defaultCores ?? 1;
    const ramp = rampOf(rows, cores, levelSeconds);
    if (ramp.length > 0) services[service] = { cores, slo: options.slo, ramp };
  }
  const fanout: FanoutSecond[] = [];
  for (const run of runs) {
    const entries = new Map<number, Record<string, number>>();
    for (const [step, points] of Object.entries(run.steps)) {
      if (options.entrySteps && !options.entrySteps.includes(step)) continue;
      for (const p of points) {
        const at = entries.get(p.second) ?? {};
        at[step] = (at[step] ?? 0) + p.requests;
        entries.set(p.second, at);
      }
    }
    const calls = new Map<number, Record<string, number>>();
    for (const row of run.targetMetrics) {
      const at = calls.get(row.second) ?? {};
      at[row.service] = (at[row.service] ?? 0) + row.requests / row.intervalS;
      calls.set(row.second, at);
    }
    const stepNames = [...new Set(Object.keys(run.steps))].filter(
      (s) => !options.entrySteps || options.entrySteps.includes(s),
    );
    const serviceNames = [...byService.keys()];
    // Seconds both sides saw (control keys each reading by the agents' interval it covers),
    // less the run's first and last: there iterations are cut in two, their entry request
    // in one second and the calls of their later steps in a drain nobody entered.
    const shared = [...calls.keys()].filter((second) => entries.has(second)).sort((a, b) => a - b);
    for (const second of shared.slice(1, -1)) {
      const entered = entries.get(second) ?? {};
      const called = calls.get(second) ?? {};
      fanout.push({
        entries: Object.fromEntries(stepNames.map((s) => [s, entered[s] ?? 0])),
        calls: Object.fromEntries(serviceNames.map((s) => [s, called[s] ?? 0])),
      });
    }
  }
  // Every run after the first is a cost sample: CPU-seconds per request per service, so a
  // model fitted over an old ramp and a newer regression run shows (and plans for) drift.
  const costs = runs.slice(1).flatMap((run) => {
    const perService: Record<string, number> = {};
    for (const service of byService.keys()) {
      const rows = run.targetMetrics.filter((r) => r.service === service && r.cpuSeconds >= 0);
      const requests = rows.reduce((n, r) => n + r.requests, 0);
      const cpu = rows.reduce((n, r) => n + r.cpuSeconds, 0);
      if (requests > 0 && cpu > 0) perService[service] = cpu / requests;
    }
    return Object.keys(perService).length > 0
      ? [{ run: run.runId, cpuSecondsPerRequest: perService }]
      : [];
  });
  return {
    run: runs[0]?.runId ?? '',
    services,
    fanout,
    ...(costs.length > 0 ? { costs } : {}),
  };
}
