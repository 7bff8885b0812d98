export { type HlogInterval, HlogWriter, type ParsedHlog, readHlog } from './hlog.js';
export {
  addInto,
  createLatencyHistogram,
  decodeHistogram,
  encodeHistogram,
  HIGHEST_TRACKABLE_US,
  type Histogram,
  LOWEST_TRACKABLE_US,
  mergeHistograms,
  recordLatencyUs,
  SIGNIFICANT_DIGITS,
} from './latency-histogram.js';
export {
  type LatencySummary,
  latencyAtPercentileMs,
  percentileCurve,
  summarizeLatency,
} from './summary.js';
