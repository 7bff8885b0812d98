/** The one shape of a run's result, built by buildRunSummary. */
export { RunSummary } from '@loadline/api';
export { formatDuration, parseDuration } from '@loadline/scenario';
export {
  Connection,
  type ConnectionHost,
  type ConnectionOptions,
  type SendContext,
} from './connection.js';
export { type EngineOptions, LoadEngine, type LoadModel } from './engine.js';
export type { EngineEvents, IntervalReport, RunReport } from './events.js';
export {
  type CompiledPlan,
  type CompiledStep,
  type CompileOptions,
  compileScenario,
  SecretsMissingError,
} from './flow/compile.js';
export {
  FeederError,
  FeederFileError,
  type FeederFiles,
  type FeederRow,
  loadFeederRows,
  resolveFeederFile,
} from './flow/feeders.js';
export { GuardrailMonitor, type GuardrailState, type GuardrailTrip } from './flow/guardrails.js';
export { compileReplay, replayRequest } from './flow/replay.js';
export {
  buildRunSummary,
  intendedMixOf,
  type RunOutcome,
  type RunSummaryInput,
  requestsByStep,
  runVerdict,
  sharesOf,
  startedByFirstStep,
  tableResults,
} from './flow/run-summary.js';
export {
  type FlowEvents,
  type FlowInterval,
  type FlowModel,
  type FlowReport,
  FlowRunner,
  type FlowRunOptions,
} from './flow/runner.js';
export { INVALID_REQUEST, InvalidRequestError } from './flow/sendable.js';
export { StepTable } from './flow/step-stats.js';
export {
  type FlowSummary,
  type ReportedResults,
  type ReportLatency,
  reportedResults,
  type StepSummary,
  summarizeFlows,
} from './flow/summary.js';
export {
  evaluateThresholds,
  type MetricSource,
  measure,
  stepTableSource,
  type ThresholdResult,
} from './flow/thresholds.js';
export {
  type Endpoint,
  type HttpTarget,
  serializeRaw,
  serializeRequest,
  validateTarget,
} from './request.js';
export type { CapturedResponse } from './response-parser.js';
export { ResponseParseError, ResponseParser, type ResponseSink } from './response-parser.js';
export {
  GeneratorJudge,
  MIN_LATE_SENDS,
  peakRateOf,
  saturatedBy,
  saturationLimits,
} from './saturation.js';
export {
  ArrivalSchedule,
  arrivalsBy,
  constantRate,
  fitProfile,
  parseStages,
  profileDurationMs,
  type RateChange,
  type RateProfile,
  type Stage,
  scaledArrivalsBy,
} from './schedule.js';
