export {
  CaptureFormat,
  Corpus,
  CorpusMeta,
  corpusFromJson,
  corpusFromJsonLines,
  corpusToJson,
  corpusToJsonLines,
  Header,
  MixEntry,
  ReplayRequest,
  RequestMix,
} from './corpus.js';
export { formatIssue, ImportError, type ImportIssue } from './errors.js';
export {
  detectFormat,
  ImportOptions,
  type ImportResult,
  type ImportSummary,
  importCorpus,
  summarise,
} from './import.js';
export { importFile } from './import-file.js';
export { pathTemplate, requestMix } from './mix.js';
export { parseRemapRule, RemapRule, ruleLabel } from './remap.js';
export {
  CONNECTION_HEADERS,
  CREDENTIAL_HEADERS,
  MASK,
  type MaskField,
  parseMaskField,
} from './sanitise.js';
export {
  assignSessions,
  planReplay,
  ReplayOptions,
  type ReplayPlan,
  type ScheduledSend,
  type ShardPlan,
} from './schedule.js';
export { OTHER_STEP, type PlannedSend, type ReplayShards, replayShards } from './shard-sends.js';
