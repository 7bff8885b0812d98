// What decoding interval rows takes, without a ClickHouse driver: control's ingest threads
// load this (chdb, a native addon, is loaded once per process, by its main thread).
export { HistogramAccumulator, plainOf } from './histogram-accumulator.js';
export { pointOf } from './points.js';
export { InvalidIntervalRowsError, type RowIssue, validateIntervalRows } from './rows.js';
export type { TimeSeriesPoint } from './schemas.js';
