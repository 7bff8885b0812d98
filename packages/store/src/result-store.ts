import type { IntervalRow } from '@loadline/api';
import type { Histogram } from '@loadline/histogram';
import { z } from 'zod';
import { ChdbDriver, DEFAULT_EMBEDDED_PATH } from './chdb-driver.js';
import { ClusterOptions } from './cluster-schema.js';
import type { ClickHouseDriver } from './driver.js';
import { MIGRATIONS_DIR, type MigrationReport, migrate } from './migrations.js';
import * as queries from './queries.js';
import type { RollupOptions } from './rollups.js';
import { ingestMarkers, toIntervalRecord, validateIntervalRows } from './rows.js';
import {
  type AgentSummary,
  IntervalFilter,
  RunId,
  type StepSummary,
  TimeSeriesOptions,
  type TimeSeriesPoint,
  type Totals,
} from './schemas.js';
import { ServerDriver } from './server-driver.js';
import * as targetMetrics from './target-metrics.js';
import { TargetMetricRow } from './target-metrics.js';

const Common = {
  /** rows per INSERT; larger batches are split */
  batchRows: z.number().int().positive().default(100_000),
  /** a minute's rollup is written back once the minute ended this long ago */
  sealAfterSeconds: z.number().int().nonnegative().default(10),
};

export const StoreOptions = z.union([
  z.object({
    mode: z.literal('server'),
    url: z.url(),
    database: z.string().default('loadline'),
    username: z.string().optional(),
    password: z.string().optional(),
    /**
     * A ClickHouse cluster (CLICKHOUSE_CLUSTER): migrations create local and Distributed
     * tables ON CLUSTER, deleteRun deletes from the local tables on every shard, and the
     * settings a cluster needs are set on every query. See cluster-schema.ts.
     */
    cluster: ClusterOptions.omit({ database: true }).optional(),
    ...Common,
  }),
  z.object({
    mode: z.literal('embedded').default('embedded'),
    path: z.string().min(1).default(DEFAULT_EMBEDDED_PATH),
    ...Common,
  }),
]);
export type StoreOptions = z.input<typeof StoreOptions>;

export const DriverOptions = z.object({
  ...Common,
  /** the driver talks to a cluster (see StoreOptions' server `cluster`) */
  cluster: ClusterOptions.optional(),
});
export type DriverOptions = z.input<typeof DriverOptions>;

/** An argument that fails its schema: names the argument and what was expected. */
export class InvalidArgumentError extends TypeError {
  override name = 'InvalidArgumentError';
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidArgumentError(`${what}: ${z.prettifyError(result.error)}`);
  return result.data;
}

/**
 * Results storage in ClickHouse: embedded (chdb, default, data under
 * `.loadline/clickhouse`) or a server (by URL), through the same code. Only control opens
 * one. Latency figures come from merged histograms, never from averaged percentiles.
 */
export class ResultStore {
  readonly driver: ClickHouseDriver;
  readonly #batchRows: number;
  readonly #rollups: RollupOptions;
  /** cluster mode: migrations and deleteRun address local tables ON CLUSTER */
  readonly #cluster: z.output<typeof ClusterOptions> | undefined;

  private constructor(driver: ClickHouseDriver, options: z.output<typeof DriverOptions>) {
    this.driver = driver;
    this.#batchRows = options.batchRows;
    this.#rollups = { sealAfterSeconds: options.sealAfterSeconds };
    this.#cluster = options.cluster;
  }

  /** Opens embedded ClickHouse (default) or connects to a server. Call migrate() next. */
  static async open(options: StoreOptions = {}): Promise<ResultStore> {
    const parsed = parse(StoreOptions, options, 'store options');
    if (parsed.mode === 'embedded') return new ResultStore(ChdbDriver.open(parsed.path), parsed);
    const cluster = parsed.cluster && { ...parsed.cluster, database: parsed.database };
    const driver = await ServerDriver.open({ ...parsed, ...(cluster ? { cluster } : {}) });
    return new ResultStore(driver, { ...parsed, cluster });
  }

  /** A store over a driver you made (another client, a test double). */
  static fromDriver(driver: ClickHouseDriver, options: DriverOptions = {}): ResultStore {
    return new ResultStore(driver, parse(DriverOptions, options, 'store options'));
  }

  /** Applies pending numbered migrations, in order, recording each; idempotent. */
  async migrate(dir: string = MIGRATIONS_DIR): Promise<MigrationReport> {
    return migrate(this.driver, dir, this.#cluster);
  }

  /**
   * Validates and stores interval rows, in batches. An invalid row rejects the whole call
   * (InvalidIntervalRowsError, listing every problem) before anything is written. Storing
   * a row again (a retried delivery) does not count it twice. `validated`: the caller
   * passed every row through `validateIntervalRows` already (ingest does, as it decodes a
   * batch on its threads): they are not checked twice.
   */
  async insertIntervals(
    rows: readonly IntervalRow[] | readonly unknown[],
    { validated = false }: { validated?: boolean } = {},
  ): Promise<{ inserted: number }> {
    const valid = validated ? (rows as readonly IntervalRow[]) : validateIntervalRows(rows);
    for (let i = 0; i < valid.length; i += this.#batchRows) {
      const batch = valid.slice(i, i + this.#batchRows);
      await this.driver.insertJSONEachRow('intervals', batch.map(toIntervalRecord));
      // after the rows are committed: a rollup built before this marker is stale
      await this.driver.insertJSONEachRow('interval_ingests', ingestMarkers(batch));
    }
    return { inserted: valid.length };
  }

  /** Counters and latency over a run (or the part `filter` selects). */
  async runTotals(runId: string, filter: IntervalFilter = {}): Promise<Totals> {
    return queries.runTotals(
      this.driver,
      parse(RunId, runId, 'runId'),
      parse(IntervalFilter, filter, 'filter'),
      this.#rollups,
    );
  }

  /** Per step, sorted by name: counters and latency. */
  async stepSummaries(
    runId: string,
    filter: Omit<IntervalFilter, 'steps'> = {},
  ): Promise<StepSummary[]> {
    return queries.stepSummaries(
      this.driver,
      parse(RunId, runId, 'runId'),
      parse(IntervalFilter, filter, 'filter'),
      this.#rollups,
    );
  }

  /** The exact merge of every histogram `filter` selects. */
  async mergedHistogram(runId: string, filter: IntervalFilter = {}): Promise<Histogram> {
    return queries.mergedHistogram(
      this.driver,
      parse(RunId, runId, 'runId'),
      parse(IntervalFilter, filter, 'filter'),
      this.#rollups,
    );
  }

  /** A run's stored interval rows, each once, page by page (bounded memory). */
  intervalRows(runId: string): AsyncGenerator<IntervalRow[]> {
    return queries.intervalRows(this.driver, parse(RunId, runId, 'runId'));
  }

  /** Each second's merged latency histogram, oldest first (for HdrHistogram interval logs). */
  async histogramsBySecond(
    runId: string,
    filter: IntervalFilter = {},
  ): Promise<Array<{ second: number; histogram: Histogram }>> {
    return queries.histogramsBySecond(
      this.driver,
      parse(RunId, runId, 'runId'),
      parse(IntervalFilter, filter, 'filter'),
    );
  }

  /** Requests, errors and p50/p90/p99/max per second (or minute), seconds with data only. */
  async timeSeries(runId: string, options: TimeSeriesOptions = {}): Promise<TimeSeriesPoint[]> {
    return queries.timeSeries(
      this.driver,
      parse(RunId, runId, 'runId'),
      parse(TimeSeriesOptions, options, 'options'),
      this.#rollups,
    );
  }

  /** Per-second points per step or per agent (raw rows), keyed by step name or agent id. */
  async timeSeriesBy(
    runId: string,
    by: 'step' | 'agent',
    options: Pick<TimeSeriesOptions, 'fromSecond' | 'toSecond'> = {},
  ): Promise<Record<string, TimeSeriesPoint[]>> {
    const range = parse(TimeSeriesOptions, options, 'options');
    return queries.timeSeriesBy(this.driver, parse(RunId, runId, 'runId'), by, {
      fromSecond: range.fromSecond,
      toSecond: range.toSecond,
    });
  }

  /** Stores what control scraped from the targets' /metrics (validated first, all or nothing). */
  async insertTargetMetrics(rows: readonly unknown[]): Promise<{ inserted: number }> {
    const valid = rows.map((row, i) => parse(TargetMetricRow, row, `rows[${i}]`));
    await targetMetrics.insertTargetMetrics(this.driver, valid);
    return { inserted: valid.length };
  }

  /** A run's scraped target metrics, by service, instance and second. */
  async targetMetrics(runId: string): Promise<TargetMetricRow[]> {
    return targetMetrics.targetMetrics(this.driver, parse(RunId, runId, 'runId'));
  }

  /** The agents that reported for a run, with their requests and first/last second. */
  async agentsOf(runId: string): Promise<AgentSummary[]> {
    return queries.agentsOf(this.driver, parse(RunId, runId, 'runId'));
  }

  /** Builds the run's stale per-minute rollups now, so later reads find them. */
  async compact(runId: string): Promise<{ groups: number; rebuilt: number }> {
    return queries.compactRun(this.driver, parse(RunId, runId, 'runId'), this.#rollups);
  }

  /** Deletes everything stored for a run. */
  async deleteRun(runId: string): Promise<void> {
    return queries.deleteRun(this.driver, parse(RunId, runId, 'runId'), this.#cluster);
  }

  async close(): Promise<void> {
    return this.driver.close();
  }
}
