// During a run, control reads each target instance's Prometheus /metrics every second:
// what the system under test did in the same seconds the agents measured — request rate
// and latency per instance, and the CPU each spent. The capacity model fits ratios and
// per-machine curves on these rows.
import {
  DEFAULT_METRIC_NAMES,
  type InstanceReading,
  parsePrometheusText,
  quantileFromBuckets,
  readInstance,
} from './prometheus.js';

/** One instance to scrape, as an environment lists it. */
export interface MetricsTarget {
  service: string;
  url: string;
  /** counter of CPU seconds this instance used; default process_cpu_seconds_total */
  cpuMetric?: string;
  requestsMetric?: string;
  durationMetric?: string;
}

/** What one instance did between two scrapes, attributed to the second of the later one. */
export interface TargetMetricRow {
  runId: string;
  service: string;
  instance: string;
  second: number;
  /** seconds between the two scrapes (close to 1; rates are counts ÷ this) */
  intervalS: number;
  requests: number;
  /** CPU seconds used in the interval; -1 when the instance exposes no such counter */
  cpuSeconds: number;
  /** latency quantiles from the instance's histogram buckets; -1 without requests */
  p50Ms: number;
  p99Ms: number;
}

export interface ScraperOptions {
  onRows: (rows: TargetMetricRow[]) => Promise<void> | void;
  log?: (line: string) => void;
  intervalMs?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

interface Previous {
  at: number;
  reading: InstanceReading;
}

const ALIGN_OFFSET_MS = 50;

const increase = (before: number, after: number) => (after >= before ? after - before : after);

export class TargetScraper {
  readonly #runId: string;
  readonly #targets: readonly MetricsTarget[];
  readonly #options: Required<Omit<ScraperOptions, 'log'>> & Pick<ScraperOptions, 'log'>;
  readonly #previous = new Map<string, Previous>();
  readonly #failing = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #started = false;
  #busy = false;

  constructor(runId: string, targets: readonly MetricsTarget[], options: ScraperOptions) {
    this.#runId = runId;
    this.#targets = targets;
    this.#options = {
      intervalMs: 1000,
      timeoutMs: 800,
      fetch: globalThis.fetch,
      ...options,
    };
  }

  /**
   * Scrapes on each whole second (plus a little, for the target's own counters to settle)
   * until stop(), the first scrape being the baseline: a scrape at s+1.05 covers about the
   * second [s, s+1), the same second the agents' rows of that second cover, so entry
   * requests and service calls line up second by second for the fan-out fit.
   */
  start(): void {
    if (this.#timer || this.#started || this.#targets.length === 0) return;
    this.#started = true;
    const interval = this.#options.intervalMs;
    const untilAligned = interval - (Date.now() % interval) + ALIGN_OFFSET_MS;
    this.#timer = setTimeout(() => {
      if (!this.#started) return;
      void this.scrape();
      this.#timer = setInterval(() => void this.scrape(), interval);
    }, untilAligned);
  }

  /** Stops, after one last reading so the run's final part-second is counted too. */
  stop(): Promise<TargetMetricRow[]> {
    const wasRunning = this.#started;
    this.#started = false;
    clearTimeout(this.#timer);
    clearInterval(this.#timer);
    this.#timer = undefined;
    return wasRunning ? this.scrape() : Promise.resolve([]);
  }

  /** One round over every target; rows for those with a previous reading. */
  async scrape(): Promise<TargetMetricRow[]> {
    // A round slower than the interval (a hung target) must not pile rounds up.
    if (this.#busy) return [];
    this.#busy = true;
    try {
      const rows = (await Promise.all(this.#targets.map((t) => this.#scrapeOne(t)))).filter(
        (r): r is TargetMetricRow => r !== undefined,
      );
      if (rows.length > 0) await this.#options.onRows(rows);
      return rows;
    } finally {
      this.#busy = false;
    }
  }

  async #scrapeOne(target: MetricsTarget): Promise<TargetMetricRow | undefined> {
    const at = Date.now();
    let reading: InstanceReading;
    try {
      const response = await this.#options.fetch(target.url, {
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      reading = readInstance(parsePrometheusText(await response.text()), {
        requests: target.requestsMetric ?? DEFAULT_METRIC_NAMES.requests,
        duration: target.durationMetric ?? DEFAULT_METRIC_NAMES.duration,
        cpu: target.cpuMetric ?? DEFAULT_METRIC_NAMES.cpu,
      });
      if (this.#failing.delete(target.url)) this.#log(`metrics of ${target.url} answer again`);
    } catch (error) {
      // Said once per outage, not every second; the gap shows as missing rows.
      if (!this.#failing.has(target.url)) {
        this.#failing.add(target.url);
        this.#log(`cannot scrape ${target.url}: ${(error as Error).message}`);
      }
      this.#previous.delete(target.url);
      return undefined;
    }
    const previous = this.#previous.get(target.url);
    this.#previous.set(target.url, { at, reading });
    if (!previous) return undefined;
    const p50 = quantileFromBuckets(previous.reading.buckets, reading.buckets, 0.5);
    const p99 = quantileFromBuckets(previous.reading.buckets, reading.buckets, 0.99);
    return {
      runId: this.#runId,
      service: target.service,
      instance: target.url,
      // Aligned scrapes land just after a whole second: the interval is the one before (the
      // last reading, taken at stop, belongs to the second it was taken in).
      second: Math.round(at / 1000) - 1,
      intervalS: (at - previous.at) / 1000,
      requests: increase(previous.reading.requests, reading.requests),
      cpuSeconds:
        reading.cpuSeconds === null || previous.reading.cpuSeconds === null
          ? -1
          : increase(previous.reading.cpuSeconds, reading.cpuSeconds),
      p50Ms: p50 === null ? -1 : p50 * 1000,
      p99Ms: p99 === null ? -1 : p99 * 1000,
    };
  }

  #log(line: string): void {
    this.#options.log?.(`run ${this.#runId}: ${line}`);
  }
}
