export {
  DEFAULT_API_HOST,
  DEFAULT_API_PORT,
  DEFAULT_API_URL,
  DEFAULT_DATA_DIR,
  DEFAULT_NAMESPACE,
  DEFAULT_REDIS_URL,
} from './defaults.js';
export { type EnvRow, type EnvSection, envMarkdown, envRows, withEnvSection } from './docs.js';
export { EnvError, type EnvIssue, envPicker, parseEnv, type RawEnv } from './parse.js';
export * from './processes.js';
export {
  controlGraceMs,
  listItems,
  type RedisNode,
  type RedisTopology,
  redactUrl,
  redisNode,
  redisTopology,
  type SaturationSetting,
  saturationSetting,
  urlProblem,
} from './vars.js';
