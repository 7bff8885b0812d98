export {
  DEFAULT_SATURATION_LIMITS,
  GeneratorCheck,
  GeneratorReading,
  GeneratorSaturation,
  GeneratorTotals,
  SaturationLimits,
} from './generator.js';
export {
  hostAllowed,
  hostMatcher,
  hostOf,
  hostPatternProblem,
  isLoopback,
  LOOPBACK_HOSTS,
  parseIp,
} from './hosts.js';
export { IntervalRow, StatusClass, statusClassOf } from './intervals.js';
export {
  AgentMessage,
  ControlSignal,
  Heartbeat,
  K6Metrics,
  K6Sink,
  MAX_SETUP_DATA,
  parseAgentMessage,
  parseControlSignal,
  signedAgentMessage,
} from './messages.js';
export { Counters, LatencySummary, TargetMetricRow, TimeSeriesPoint, Totals } from './results.js';
export { RunStatus, TERMINAL_STATUSES } from './runs.js';
export {
  K6Model,
  MAX_REPLAY_SENDS_PER_SHARD,
  ReplayModel,
  ReplaySend,
  ShardJob,
  splitEvenly,
} from './shards.js';
export {
  IterationCounts,
  K6Outcome,
  ReportLatency,
  RunSummary,
  StepResult,
  storedRunSummary,
  ThresholdResult,
  TotalResult,
} from './summary.js';
