export {
  type Buckets,
  bucketIncrease,
  bucketQuantile,
  mergeBuckets,
  quantileFromBuckets,
} from './buckets.js';
export {
  DEFAULT_METRIC_NAMES,
  type InstanceReading,
  type MetricNames,
  parsePrometheusText,
  readInstance,
  type Sample,
} from './prometheus.js';
export {
  type IntervalBuckets,
  type MetricsTarget,
  type ScraperOptions,
  type TargetMetricRow,
  TargetScraper,
} from './scraper.js';
