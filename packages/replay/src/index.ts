export {
  CaptureFormat,
  Corpus,
  CorpusMeta,
  corpusFromJson,
  corpusFromJsonLines,
  corpusToJson,
  corpusToJsonLines,
  Header,
  JsonLinesHead,
  MixEntry,
  ReplayRequest,
  type ReplayRequestProblem,
  RequestMix,
  replayRequestProblem,
} from './corpus.js';
export { CorpusFileWriter, CorpusWriteError, writeCorpusFile } from './corpus-file.js';
export { type CorpusLineIssue, CorpusLinesReader, type ReadCorpus } from './corpus-lines.js';
export { formatIssue, ImportError, type ImportIssue } from './errors.js';
export {
  detectFormat,
  ImportOptions,
  type ImportResult,
  type ImportSummary,
  importCorpus,
  summarise,
} from './import.js';
export {
  CaptureTooLargeError,
  importFile,
  MAX_IN_MEMORY_CAPTURE_BYTES,
} from './import-file.js';
export {
  importFileStreaming,
  MAX_GOR_RECORD_BYTES,
  MAX_LOG_LINE_BYTES,
} from './import-stream.js';
export { MixCounter, pathTemplate, requestMix } from './mix.js';
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
