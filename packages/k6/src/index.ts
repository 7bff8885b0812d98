export { bundleScript, remoteModulePath, ScriptError, SUPPORTED_MODULES } from './bundle.js';
export { type CompiledScript, compileScript } from './compile.js';
export { exportK6, type K6Export, K6ExportError, type K6ExportOptions } from './export.js';
export type { MetricType, ThresholdSource } from './metric-types.js';
export { MetricRegistry } from './metrics.js';
export {
  type ExecutorConfig,
  type K6Options,
  OptionsError,
  parseK6Duration,
  parseOptions,
} from './options.js';
export { K6ExitCode, type K6RunOptions, type K6RunResult, runK6Script } from './run.js';
export { shareOf } from './segments.js';
export { type SummaryData, textSummary } from './summary.js';
export { parseThresholds, ThresholdsError } from './thresholds.js';
