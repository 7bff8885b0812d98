export { hostAllowed, hostMatcher, hostOf, hostPatternProblem } from '@loadline/api';
export {
  type CorpusInfo,
  type CorpusSummary,
  SaveCorpusInput,
  UnknownCorpusError,
} from './corpora.js';
export { cronProblems, isTimeZone } from './cron.js';
export {
  DatabaseUnavailableError,
  type Db,
  isUnavailable,
  type OpenOptions,
} from './db.js';
export { type Environment, EnvironmentInput } from './environments.js';
export {
  ConflictError,
  type InputIssue,
  InvalidInputError,
  InvalidTransitionError,
  MetadataError,
  MigrationError,
  NotFoundError,
  UnknownEnvironmentError,
  UnknownRunError,
  UnknownScenarioError,
  UnknownScheduleError,
} from './errors.js';
export { idTime, newId } from './ids.js';
export { type Leak, LeakInput } from './leaks.js';
export { MIGRATIONS_DIR } from './migrate.js';
export {
  CreateRunInput,
  LeaseInput,
  ListRunsQuery,
  type Run,
  type RunPage,
  TransitionFields,
} from './runs.js';
export {
  SaveScenarioInput,
  type Scenario,
  type ScenarioVersion,
  type ScenarioVersionInfo,
} from './scenarios.js';
export { CreateScheduleInput, type Schedule, UpdateScheduleInput } from './schedules.js';
export type { Json, JsonObject, MetricsTarget, ShardState } from './schema.js';
export * as tables from './schema.js';
export { ClaimShardInput, FinishShardInput, type Shard } from './shards.js';
export { MetadataStore } from './store.js';
export { ACTIVE_STATUSES, canTransition, RUN_TRANSITIONS } from './transitions.js';
