export { hostAllowed, hostMatcher, hostOf, hostPatternProblem } from '@loadline/api';
export { AccessStore } from './access-store.js';
export type { Approval } from './approvals.js';
export { type AuditEvent, AuditInput, AuditQuery } from './audit.js';
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
export { type EnrolledAgent, UnknownAgentError } from './enrolled-agents.js';
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
export type { Leader } from './leadership.js';
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
export type {
  ApprovalState,
  ApprovalSubject,
  AuditActorKind,
  AuditOutcome,
  Json,
  JsonObject,
  K6Setup,
  MetricsTarget,
  ShardState,
  TokenRole,
  UserRole,
} from './schema.js';
export * as tables from './schema.js';
export { type SealedSecret, UnknownSecretError } from './secrets.js';
export type { Session, SessionWithUser } from './sessions.js';
export {
  type Coordination,
  RateChange,
  type Shard,
  ShardClaim,
  ShardEnd,
  type ShardProgress,
} from './shards.js';
export { MetadataStore } from './store.js';
export { type ApiToken, type TokenWithOwner, UnknownTokenError } from './tokens.js';
export { ACTIVE_STATUSES, canTransition, RUN_TRANSITIONS } from './transitions.js';
export { PutUserInput, SsoUserInput, UnknownUserError, type User } from './users.js';
export type { NewWeightProbe, WeightProbeRow } from './weight-probes.js';
