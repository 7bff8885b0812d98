import type { Histogram } from 'hdr-histogram-js';

/** Latency figures in milliseconds, as users read them. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

const US_PER_MS = 1000;

/** A latency recorded in µs, in milliseconds as every summary shows it (rounded to 1 µs). */
export function toMs(valueUs: number): number {
  return Math.round((valueUs / US_PER_MS) * 1000) / 1000;
}

/**
 * Summarises a latency histogram (recorded in µs) in milliseconds, rounded to 1 µs.
 * Percentiles are HdrHistogram's: the highest value equivalent to the bucket holding
 * the percentile, so they never under-report. Max and min follow the same rule (highest
 * and lowest equivalent values of the extreme buckets, as Java's getMaxValue and
 * getMinNonZeroValue do): hdr-histogram-js keeps the raw recorded max but a bucket bound
 * after a decode, so using its maxValue would make the summary depend on whether the
 * histogram travelled encoded, and could show p99 above max.
 */
export function summarizeLatency(histogram: Histogram): LatencySummary {
  if (histogram.totalCount === 0) {
    return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  }
  return {
    count: histogram.totalCount,
    min: toMs(histogram.getValueAtPercentile(0)),
    mean: toMs(histogram.mean),
    p50: toMs(histogram.getValueAtPercentile(50)),
    p90: toMs(histogram.getValueAtPercentile(90)),
    p99: toMs(histogram.getValueAtPercentile(99)),
    p999: toMs(histogram.getValueAtPercentile(99.9)),
    max: toMs(histogram.getValueAtPercentile(100)),
  };
}

/** The value (ms) at any percentile, for thresholds such as p(95) or p(99.99). */
export function latencyAtPercentileMs(histogram: Histogram, percentile: number): number {
  if (histogram.totalCount === 0) return 0;
  return toMs(histogram.getValueAtPercentile(percentile));
}

/** A percentile curve (percentile → ms) for distribution charts and reports. */
export function percentileCurve(
  histogram: Histogram,
  percentiles: readonly number[] = [
    0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100,
  ],
): Array<{ percentile: number; ms: number }> {
  return percentiles.map((percentile) => ({
    percentile,
    ms: latencyAtPercentileMs(histogram, percentile),
  }));
}
