/**
 * The vocabulary k6's metrics and thresholds share: the four metric types, the
 * aggregations a threshold may name, and what a threshold reads metrics through.
 */

export type MetricType = 'counter' | 'gauge' | 'rate' | 'trend';

/** Which values a metric holds: trends of time are shown in ms, others as plain numbers. */
export type ValueType = 'time' | 'data' | 'default';

export type Aggregation =
  | { kind: 'avg' | 'min' | 'max' | 'med' | 'count' | 'rate' | 'value' }
  | { kind: 'p'; percentile: number };

/** Tag filters of a submetric, `http_req_duration{status:200,scenario:browse}`. */
export type TagFilter = Readonly<Record<string, string>>;

/** Where thresholds read metrics: the local registry, or control's merged view of a fleet. */
export interface ThresholdSource {
  /** The metric's type, or undefined when the script neither declared nor emitted it. */
  typeOf(metric: string): MetricType | undefined;
  /**
   * The aggregate over samples whose tags include every filter pair, or undefined while
   * there are none. `elapsedMs` is the run's time so far (a counter's rate is per second).
   */
  aggregate(
    metric: string,
    filter: TagFilter,
    aggregation: Aggregation,
    elapsedMs: number,
  ): number | undefined;
}
