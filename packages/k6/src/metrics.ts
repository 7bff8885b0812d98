/**
 * k6's metrics in memory: the four types, each sample aggregated as it arrives into the
 * metric's sink and into every threshold submetric whose tags it matches (as k6 does), so
 * memory stays flat however long the run. Trends keep an HdrHistogram, never samples:
 * percentiles across agents come from merged histograms.
 */
import {
  addInto,
  createLatencyHistogram,
  decodeHistogram,
  encodeHistogram,
  type Histogram,
  recordLatencyUs,
} from '@loadline/histogram';
import type {
  Aggregation,
  MetricType,
  TagFilter,
  ThresholdSource,
  ValueType,
} from './metric-types.js';

export type Tags = Record<string, string>;

/** One metric's aggregate: every type keeps what its aggregations need. */
export class Sink {
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /** gauge: the last value; rate: how many were non-zero */
  last = 0;
  passes = 0;
  /** trends: values ×1000 (µs for times), HdrHistogram's 3 significant digits */
  readonly histogram: Histogram | undefined;

  constructor(readonly type: MetricType) {
    this.histogram = type === 'trend' ? createLatencyHistogram() : undefined;
  }

  add(value: number): void {
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    this.last = value;
    if (value !== 0) this.passes++;
    // Histograms hold non-negative integers: negative trend values count as 0 there
    // (min, max and avg stay exact).
    if (this.histogram) recordLatencyUs(this.histogram, Math.max(0, Math.round(value * 1000)));
  }

  /** The aggregate a threshold or the summary names; undefined without samples. */
  aggregate(aggregation: Aggregation, elapsedMs: number): number | undefined {
    if (this.count === 0) return undefined;
    switch (aggregation.kind) {
      case 'count':
        return this.type === 'counter' ? this.sum : this.count;
      case 'rate':
        if (this.type === 'counter') return elapsedMs > 0 ? this.sum / (elapsedMs / 1000) : 0;
        return this.passes / this.count;
      case 'value':
        return this.last;
      case 'avg':
        return this.sum / this.count;
      case 'min':
        return this.min;
      case 'max':
        return this.max;
      case 'med':
        return this.percentile(50);
      case 'p':
        return this.percentile(aggregation.percentile);
    }
  }

  percentile(p: number): number {
    if (!this.histogram) return Number.NaN;
    // Exact at the ends; HdrHistogram's value in between.
    if (p >= 100) return this.max;
    if (p <= 0) return this.min;
    const value = this.histogram.getValueAtPercentile(p) / 1000;
    return Math.min(this.max, Math.max(this.min, value));
  }

  /** Adds another agent's (or window's) sink: counts add, histograms merge exactly. */
  merge(other: SinkSnapshot): void {
    // An empty sink's min and max are ±Infinity, which JSON carries as null: nothing to add.
    if (other.count === 0) return;
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min ?? Number.POSITIVE_INFINITY);
    this.max = Math.max(this.max, other.max ?? Number.NEGATIVE_INFINITY);
    this.last = other.last;
    this.passes += other.passes;
    if (this.histogram && other.histogram)
      addInto(this.histogram, decodeHistogram(other.histogram));
  }

  snapshot(): SinkSnapshot {
    return {
      count: this.count,
      sum: this.sum,
      min: this.count === 0 ? null : this.min,
      max: this.count === 0 ? null : this.max,
      last: this.last,
      passes: this.passes,
      ...(this.histogram ? { histogram: encodeHistogram(this.histogram) } : {}),
    };
  }
}

export interface SinkSnapshot {
  count: number;
  sum: number;
  /** null: no samples (what JSON makes of ±Infinity) */
  min: number | null;
  max: number | null;
  last: number;
  passes: number;
  histogram?: string;
}

/** One metric's sinks as an agent sends them (JSON-safe). */
export interface MetricSnapshot {
  name: string;
  type: MetricType;
  valueType: ValueType;
  sink: SinkSnapshot;
  submetrics: Array<{ filter: TagFilter; sink: SinkSnapshot }>;
}

export class Metric {
  readonly sink: Sink;
  /** threshold submetrics: filter key → filter and its sink */
  readonly submetrics = new Map<string, { filter: TagFilter; sink: Sink }>();

  constructor(
    readonly name: string,
    readonly type: MetricType,
    readonly valueType: ValueType,
  ) {
    this.sink = new Sink(type);
  }

  add(value: number, tags: Tags): void {
    this.sink.add(value);
    for (const { filter, sink } of this.submetrics.values()) {
      if (matches(tags, filter)) sink.add(value);
    }
  }
}

function matches(tags: Tags, filter: TagFilter): boolean {
  for (const key in filter) if (tags[key] !== filter[key]) return false;
  return true;
}

function filterKey(filter: TagFilter): string {
  return JSON.stringify(Object.entries(filter).sort(([a], [b]) => a.localeCompare(b)));
}

const METRIC_NAME = /^[\p{L}\p{N}._ !?/&#()<>%-]{1,128}$/u;

export class MetricError extends Error {}

/** k6's built-in metrics, declared before the script's init runs. */
export const BUILTIN_METRICS: ReadonlyArray<[string, MetricType, ValueType]> = [
  ['vus', 'gauge', 'default'],
  ['vus_max', 'gauge', 'default'],
  ['iterations', 'counter', 'default'],
  ['iteration_duration', 'trend', 'time'],
  ['dropped_iterations', 'counter', 'default'],
  ['data_sent', 'counter', 'data'],
  ['data_received', 'counter', 'data'],
  ['checks', 'rate', 'default'],
  ['group_duration', 'trend', 'time'],
  ['http_reqs', 'counter', 'default'],
  ['http_req_failed', 'rate', 'default'],
  ['http_req_duration', 'trend', 'time'],
  ['http_req_blocked', 'trend', 'time'],
  ['http_req_connecting', 'trend', 'time'],
  ['http_req_tls_handshaking', 'trend', 'time'],
  ['http_req_sending', 'trend', 'time'],
  ['http_req_waiting', 'trend', 'time'],
  ['http_req_receiving', 'trend', 'time'],
];

export class MetricRegistry implements ThresholdSource {
  readonly metrics = new Map<string, Metric>();

  constructor() {
    for (const [name, type, valueType] of BUILTIN_METRICS) this.define(name, type, valueType);
  }

  /** Declares a metric; declaring it again with the same type returns the same one (per VU init). */
  define(name: string, type: MetricType, valueType: ValueType = 'default'): Metric {
    const existing = this.metrics.get(name);
    if (existing) {
      if (existing.type !== type) {
        throw new MetricError(
          `metric "${name}" already exists as a ${existing.type}; it cannot be declared again as a ${type}`,
        );
      }
      return existing;
    }
    if (!METRIC_NAME.test(name)) {
      throw new MetricError(
        `invalid metric name "${name}": 1 to 128 letters, digits, spaces or ._!?/&#()<>%-`,
      );
    }
    const metric = new Metric(name, type, valueType);
    this.metrics.set(name, metric);
    return metric;
  }

  get(name: string): Metric | undefined {
    return this.metrics.get(name);
  }

  /** A submetric for a threshold's tag filter: samples matching it from now on. */
  watch(name: string, filter: TagFilter): void {
    const metric = this.metrics.get(name);
    if (!metric || Object.keys(filter).length === 0) return;
    const key = filterKey(filter);
    if (!metric.submetrics.has(key))
      metric.submetrics.set(key, { filter, sink: new Sink(metric.type) });
  }

  /** Every metric's sinks as they stand (what an agent sends control each second). */
  snapshot(): MetricSnapshot[] {
    return [...this.metrics.values()].map((metric) => ({
      name: metric.name,
      type: metric.type,
      valueType: metric.valueType,
      sink: metric.sink.snapshot(),
      submetrics: [...metric.submetrics.values()].map(({ filter, sink }) => ({
        filter,
        sink: sink.snapshot(),
      })),
    }));
  }

  /** Adds another registry's snapshot: metrics it declared are declared here too. */
  merge(snapshot: readonly MetricSnapshot[]): void {
    for (const { name, type, valueType, sink, submetrics } of snapshot) {
      const metric = this.define(name, type, valueType);
      metric.sink.merge(sink);
      for (const { filter, sink: subSink } of submetrics) {
        this.watch(name, filter);
        metric.submetrics.get(filterKey(filter))?.sink.merge(subSink);
      }
    }
  }

  typeOf(metric: string): MetricType | undefined {
    return this.metrics.get(metric)?.type;
  }

  sinkOf(name: string, filter: TagFilter): Sink | undefined {
    const metric = this.metrics.get(name);
    if (!metric) return undefined;
    if (Object.keys(filter).length === 0) return metric.sink;
    return metric.submetrics.get(filterKey(filter))?.sink;
  }

  aggregate(
    metric: string,
    filter: TagFilter,
    aggregation: Aggregation,
    elapsedMs: number,
  ): number | undefined {
    return this.sinkOf(metric, filter)?.aggregate(aggregation, elapsedMs);
  }
}
