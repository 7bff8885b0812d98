export {
  type Bundle,
  bundleScript,
  remoteModulePath,
  ScriptError,
  SUPPORTED_MODULES,
} from './bundle.js';
export { type CompiledScript, compileBundle, compileScript } from './compile.js';
export { endsTheRun, K6ExitCode, k6Ending, type ScriptEnding } from './exit-codes.js';
export { exportK6, type K6Export, K6ExportError, type K6ExportOptions } from './export.js';
export {
  K6FleetJudge,
  type K6Shard,
  type MergedMetrics,
  mergeMetrics,
} from './fleet.js';
export { type InspectedScript, inspectK6Script, type ShippedScript } from './inspect.js';
export type { MetricType, ThresholdSource } from './metric-types.js';
export { MetricRegistry } from './metrics.js';
export {
  type ExecutorConfig,
  type K6Options,
  OptionsError,
  parseK6Duration,
  parseOptions,
} from './options.js';
export { type K6RunOptions, type K6RunResult, runK6Script } from './run.js';
export { shareOf } from './segments.js';
export { type SummaryData, textSummary } from './summary.js';
export {
  parseThresholds,
  type ThresholdOutcome,
  ThresholdsError,
  type ThresholdVerdict,
} from './thresholds.js';
