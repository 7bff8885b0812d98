export {
  type AgentClock,
  ClockFilter,
  type ClockReading,
  CONTROL_CLOCK_EVERY_MS,
  ControlClock,
  publishControlClock,
  readAgentClock,
  readRedisClock,
} from './clock.js';
export {
  bullConnection,
  type ConnectOptions,
  connectRedis,
  DEFAULT_REDIS_URL,
  duplicateRedis,
  isCluster,
  type Redis,
  redisAnswers,
} from './connection.js';
export { type ErrorEmitter, logErrors } from './errors.js';
export {
  HEARTBEAT_TTL_S,
  type Heartbeat,
  listAgents,
  removeAgent,
  writeHeartbeat,
} from './heartbeats.js';
export { type NamesOptions, RedisNames, resultStreamOf } from './names.js';
export {
  backlogOf,
  MAX_STREAM_LENGTH,
  type ReceivedMessage,
  type ResultsBacklog,
  ResultsReader,
  type SignedEntry,
  sendAgentMessage,
} from './results.js';
export { deleteRunScript, getRunScript, putRunScript, scriptDigest } from './run-scripts.js';
export {
  ScheduleFiring,
  type ScheduleProcessor,
  ScheduleQueue,
  type ScheduleTimer,
  ScheduleWorker,
} from './schedules.js';
export { type ShardProcessor, ShardQueue, ShardWorker } from './shards.js';
export { publishSignal, SignalSubscription } from './signals.js';
export {
  type AgentSigner,
  type AgentVerifier,
  type ControlSigner,
  type ControlVerifier,
  seal,
  unseal,
} from './signing.js';
