export { Aggregate } from './aggregate.js';
export { ChdbDriver, DEFAULT_EMBEDDED_PATH } from './chdb-driver.js';
export { type ChdbHttp, serveChdbOverHttp } from './chdb-http.js';
export {
  ClusterOptions,
  ClusterSchemaError,
  clusterDatabaseStatement,
  clusterLedgerStatement,
  LOCAL_SUFFIX,
  translateMigration,
} from './cluster-schema.js';
export { CLUSTER_SCHEMA_FILE, clusterSchemaFile } from './cluster-schema-file.js';
export type { ClickHouseDriver, QueryParams } from './driver.js';
export { HistogramAccumulator, plainOf } from './histogram-accumulator.js';
export {
  loadMigrations,
  MIGRATIONS_DIR,
  type Migration,
  MigrationError,
  type MigrationReport,
} from './migrations.js';
export { pointOf } from './points.js';
export {
  DriverOptions,
  InvalidArgumentError,
  ResultStore,
  StoreOptions,
} from './result-store.js';
export { InvalidIntervalRowsError, type RowIssue, validateIntervalRows } from './rows.js';
export {
  AgentSummary,
  Counters,
  IntervalFilter,
  LatencySummary,
  RunId,
  StepSummary,
  TimeSeriesOptions,
  TimeSeriesPoint,
  Totals,
} from './schemas.js';
export { CLUSTER_SETTINGS, ServerDriver, type ServerOptions } from './server-driver.js';
export { TargetMetricRow } from './target-metrics.js';
