export { ChdbDriver, DEFAULT_EMBEDDED_PATH } from './chdb-driver.js';
export { type ChdbHttp, serveChdbOverHttp } from './chdb-http.js';
export type { ClickHouseDriver, QueryParams } from './driver.js';
export { HistogramAccumulator } from './histogram-accumulator.js';
export {
  loadMigrations,
  MIGRATIONS_DIR,
  type Migration,
  MigrationError,
  type MigrationReport,
} from './migrations.js';
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
export { ServerDriver, type ServerOptions } from './server-driver.js';
export { TargetMetricRow } from './target-metrics.js';
