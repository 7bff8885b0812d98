export { formatDuration, parseDuration } from './duration.js';
export { type ExtractSpec, followJsonPath, parseExtract, parseJsonPath } from './extract.js';
export {
  type ClosedPlan,
  constantRate,
  DEFAULT_MAX_IN_FLIGHT,
  fitProfile,
  type LoadPlan,
  type OpenPlan,
  type PlanOverrides,
  planDurationMs,
  planLoad,
  planReplayTiming,
  planScenario,
  profileDurationMs,
  type RateProfile,
  type RateStage,
  type ReplayPlan,
  splitPlan,
} from './load-plan.js';
export {
  formatError,
  formatPath,
  type ParseResult,
  parseScenario,
  type ScenarioError,
} from './parse.js';
export {
  CapacityProbe,
  Check,
  Duration,
  Feeder,
  Flow,
  Guardrail,
  HttpRequest,
  Load,
  Replay,
  Scenario,
  type ScenarioInput,
  Stage,
  Step,
} from './schema.js';
export {
  parseTemplate,
  type TemplateExpression,
  type TemplatePart,
  templateExpressions,
} from './template.js';
export {
  type Comparison,
  type Condition,
  compare,
  METRICS,
  type MetricName,
  type MetricSelector,
  parseCondition,
  parseSelector,
} from './threshold.js';
