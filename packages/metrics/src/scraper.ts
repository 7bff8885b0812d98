// During a run, control reads each target instance's Prometheus /metrics every second:
// what the system under test did in the same seconds the agents measured — request rate
// and latency per instance, and the CPU each spent. The capacity model fits ratios and
// per-machine curves on these rows.

import type { MetricsTarget } from '@loadline/api/http';
import type { TargetMetricRow } from '@loadline/store';
import { bucketIncrease, bucketQuantile } from './buckets.js';
import {
  DEFAULT_METRIC_NAMES,
  type InstanceReading,
  parsePrometheusText,
  readInstance,
} from './prometheus.js';

/** One instance to scrape, as an environment lists it. */
/** A target instance's Prometheus endpoint: one schema, in the control API's contract. */
// A row is what the store keeps (its schema documents the fields: -1 means not exposed, or
// no requests): one type for the scraper, the store and the capacity fit's reader.
export type { MetricsTarget, TargetMetricRow };

/** What one instance's latency histogram counted in the interval a row covers. */
export interface IntervalBuckets {
  service: string;
  instance: string;
  second: number;
  /** cumulative counts by upper bound (seconds) of this interval's requests only */
  buckets: Map<number, number>;
}

export interface ScraperOptions {
  onRows: (rows: TargetMetricRow[]) => Promise<void> | void;
  /**
   * The histograms behind the rows' p50/p99, for a judge of latency over many seconds: it
   * merges these (mergeBuckets) and takes the quantile of the sum.
   */
  onBuckets?: (intervals: IntervalBuckets[]) => void;
  /** a target did not answer (in time): an overloaded service often looks like this */
  onFailure?: (target: MetricsTarget, reason: string) => void;
  log?: (line: string) => void;
  intervalMs?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

interface Scraped {
  row: TargetMetricRow;
  buckets: IntervalBuckets;
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
  readonly #options: Required<Omit<ScraperOptions, 'log' | 'onFailure' | 'onBuckets'>> &
    Pick<ScraperOptions, 'log' | 'onFailure' | 'onBuckets'>;
  readonly #previous = new Map<string, Previous>();
  readonly #failing = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #nextTickAt = 0;
  #started = false;
  /** once stopped, never again (a late start timer must not revive it) */
  #stopped = false;
  /** the round of readings in progress, if any */
  #inFlight: Promise<unknown> | undefined;

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
   * Scrapes on the run's interval boundaries (`origin`, the common start, plus whole
   * intervals, plus a little for the target's own counters to settle) until stop(), the
   * first scrape being the baseline. Agents key each interval by the epoch second it starts
   * in; a reading just after boundary k+1 covers the run's interval k and takes its key, so
   * entry requests and service calls line up interval by interval for the fan-out fit.
   */
  start(origin = 0): void {
    if (this.#timer || this.#started || this.#stopped || this.#targets.length === 0) return;
    this.#started = true;
    const interval = this.#options.intervalMs;
    const phase = (((Date.now() - origin - ALIGN_OFFSET_MS) % interval) + interval) % interval;
    this.#nextTickAt = Date.now() + (interval - phase);
    const tick = () => {
      if (!this.#started) return;
      // The key comes from the scheduled time, not the (late) timer: jitter never shifts it.
      this.scrape(this.#keyOfIntervalEndingAt(this.#nextTickAt)).catch((error: Error) =>
        this.#log(`scraping failed: ${error.message}`),
      );
      this.#nextTickAt += interval;
      this.#timer = setTimeout(tick, Math.max(0, this.#nextTickAt - Date.now()));
    };
    this.#timer = setTimeout(tick, this.#nextTickAt - Date.now());
  }

  /** The key (epoch second it starts in) of the interval a reading at `tickAt` closes. */
  #keyOfIntervalEndingAt(tickAt: number): number {
    return Math.floor((tickAt - ALIGN_OFFSET_MS - this.#options.intervalMs) / 1000);
  }

  /** Stops, after one last reading so the run's final part-second is counted too. */
  async stop(): Promise<TargetMetricRow[]> {
    const wasRunning = this.#started;
    this.#started = false;
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!wasRunning) return [];
    // Let a round in progress finish, then the last reading (mid-interval) belongs to the
    // interval in progress.
    await this.#inFlight?.catch(() => []);
    return this.scrape(this.#keyOfIntervalEndingAt(this.#nextTickAt)).catch((error: Error) => {
      this.#log(`the last reading failed: ${error.message}`);
      return [];
    });
  }

  /**
   * One round over every target; rows for those with a previous reading, keyed `second`
   * (default: the second before the one it is taken in).
   */
  async scrape(second?: number): Promise<TargetMetricRow[]> {
    // A round slower than the interval (a hung target) must not pile rounds up; storing the
    // rows is not part of the round, so a slow store cannot cost a reading.
    if (this.#inFlight) return [];
    const key = second ?? Math.floor(Date.now() / 1000) - 1;
    const round = Promise.all(this.#targets.map((t) => this.#scrapeOne(t, key))).then((found) =>
      found.filter((f): f is Scraped => f !== undefined),
    );
    this.#inFlight = round;
    let found: Scraped[];
    try {
      found = await round;
    } finally {
      this.#inFlight = undefined;
    }
    if (found.length === 0) return [];
    const rows = found.map((f) => f.row);
    this.#options.onBuckets?.(found.map((f) => f.buckets));
    await this.#options.onRows(rows);
    return rows;
  }

  async #scrapeOne(target: MetricsTarget, second: number): Promise<Scraped | undefined> {
    let at: number;
    let reading: InstanceReading;
    try {
      const response = await this.#options.fetch(target.url, {
        signal: AbortSignal.timeout(this.#options.timeoutMs),
        // The environment's allowlist covers the URL it lists, not wherever that answers
        // "go there": following would let a target make control fetch any host (SSRF).
        redirect: 'manual',
      });
      // The counters are as of the answer, not the ask: a slow answer must not stretch
      // the interval its increase is divided by.
      at = Date.now();
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel();
        const location = response.headers.get('location');
        throw new Error(
          `HTTP ${response.status}: redirect to ${location ?? '(no Location)'} not followed`,
        );
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      reading = readInstance(
        parsePrometheusText(await response.text()),
        {
          requests: target.requestsMetric ?? DEFAULT_METRIC_NAMES.requests,
          duration: target.durationMetric ?? DEFAULT_METRIC_NAMES.duration,
          cpu: target.cpuMetric ?? DEFAULT_METRIC_NAMES.cpu,
        },
        gaugeMetricsOf(target),
      );
      if (this.#failing.delete(target.url)) this.#log(`metrics of ${target.url} answer again`);
    } catch (error) {
      // Said once per outage, not every second; the gap shows as missing rows.
      if (!this.#failing.has(target.url)) {
        this.#failing.add(target.url);
        this.#log(`cannot scrape ${target.url}: ${(error as Error).message}`);
      }
      this.#previous.delete(target.url);
      this.#options.onFailure?.(target, (error as Error).message);
      return undefined;
    }
    const previous = this.#previous.get(target.url);
    this.#previous.set(target.url, { at, reading });
    if (!previous) return undefined;
    const buckets = bucketIncrease(previous.reading.buckets, reading.buckets);
    const p50 = bucketQuantile(buckets, 0.5);
    const p99 = bucketQuantile(buckets, 0.99);
    const row: TargetMetricRow = {
      runId: this.#runId,
      service: target.service,
      instance: target.url,
      second,
      intervalS: (at - previous.at) / 1000,
      requests: increase(previous.reading.requests, reading.requests),
      cpuSeconds:
        reading.cpuSeconds === null || previous.reading.cpuSeconds === null
          ? -1
          : increase(previous.reading.cpuSeconds, reading.cpuSeconds),
      p50Ms: p50 === null ? -1 : p50 * 1000,
      p99Ms: p99 === null ? -1 : p99 * 1000,
      busySeconds:
        reading.durationSumS === null || previous.reading.durationSumS === null
          ? -1
          : increase(previous.reading.durationSumS, reading.durationSumS),
      ...gaugeShares(target, reading),
    };
    return { row, buckets: { service: target.service, instance: target.url, second, buckets } };
  }

  #log(line: string): void {
    this.#options.log?.(`run ${this.#runId}: ${line}`);
  }
}

/** The metrics a target's saturation gauges read: each gauge and its size, if any. */
function gaugeMetricsOf(target: MetricsTarget): Set<string> {
  return new Set(
    (target.saturation ?? []).flatMap((g) =>
      g.sizeMetric ? [g.metric, g.sizeMetric] : [g.metric],
    ),
  );
}

/**
 * Each gauge's share of its ceiling at this reading (a gauge is a level, not a counter: no
 * increase). One the instance does not expose, or whose size is 0, is left out.
 */
function gaugeShares(
  target: MetricsTarget,
  reading: InstanceReading,
): { gauges?: Record<string, number> } {
  const gauges: Record<string, number> = {};
  for (const g of target.saturation ?? []) {
    const value = reading.gauges.get(g.metric);
    const limit = g.limit ?? (g.sizeMetric ? reading.gauges.get(g.sizeMetric) : undefined);
    if (value === undefined || limit === undefined || !(limit > 0)) continue;
    gauges[g.name] = value / (limit * g.ceiling);
  }
  return Object.keys(gauges).length > 0 ? { gauges } : {};
}
