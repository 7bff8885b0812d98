export type { Redis } from 'ioredis';
export { connectRedis, DEFAULT_REDIS_URL, redisAnswers } from './connection.js';
export {
  HEARTBEAT_TTL_S,
  type Heartbeat,
  listAgents,
  removeAgent,
  writeHeartbeat,
} from './heartbeats.js';
export { RedisNames } from './names.js';
export { type ReceivedMessage, ResultsReader, sendAgentMessage } from './results.js';
export { type ShardProcessor, ShardQueue, ShardWorker } from './shards.js';
export { publishSignal, SignalSubscription } from './signals.js';
