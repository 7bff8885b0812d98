export { type HlogInterval, HlogWriter, type ParsedHlog, readHlog } from './hlog.js';
export * from './latency-histogram.js';
export {
  type LatencySummary,
  latencyAtPercentileMs,
  percentileCurve,
  summarizeLatency,
  toMs,
} from './summary.js';
