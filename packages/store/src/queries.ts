import type { IntervalRow, StatusClass } from '@loadline/api';
import { type Histogram, summarizeLatency } from '@loadline/histogram';
import { type Aggregate, Groups } from './aggregate.js';
import { type ClusterTarget, LOCAL_SUFFIX } from './cluster-schema.js';
import type { ClickHouseDriver } from './driver.js';
import { pointOf } from './points.js';
import { readRawRows } from './raw.js';
import { addRollup, type RollupOptions, visitMinuteRollups } from './rollups.js';
import { minuteOf } from './rows.js';
import {
  AgentSummary,
  type IntervalFilter,
  type StepSummary,
  type TimeSeriesOptions,
  type TimeSeriesPoint,
  type Totals,
} from './schemas.js';
import { planWindow, type TimeRange, whereRun } from './sql.js';

/** What a row or rollup is grouped by: its step, status class and (minute) second. */
interface GroupOf {
  step: string;
  statusClass: string;
  second: number;
}

/**
 * Counters and merged latency over `filter`, grouped by `keyOf`. Whole minutes come from
 * rollups (unless agents are filtered: rollups are across agents); the partial minutes at
 * the window's edges, and everything when agents are filtered, from raw rows.
 */
async function collect<K>(
  driver: ClickHouseDriver,
  runId: string,
  filter: IntervalFilter,
  keyOf: (g: GroupOf) => K,
  options: RollupOptions,
): Promise<Groups<K>> {
  const groups = new Groups<K>();
  const plan: { minutes?: TimeRange; edges: TimeRange[] } = filter.agents
    ? { edges: [{ from: filter.fromSecond, to: filter.toSecond }] }
    : planWindow(filter.fromSecond, filter.toSecond);
  if (plan.minutes) {
    await visitMinuteRollups(driver, runId, filter, plan.minutes, options, (rollup) =>
      addRollup(groups.get(keyOf({ ...rollup, second: rollup.minute })), rollup),
    );
  }
  for (const edge of plan.edges) {
    for await (const page of readRawRows(driver, whereRun(runId, filter, edge, 'second'))) {
      for (const row of page) {
        const group = groups.get(keyOf(row));
        group.addCounters(row, 1);
        group.latency.addEncoded(row.histogram);
      }
    }
  }
  return groups;
}

function totalsOf(aggregate: Aggregate): Totals {
  return { ...aggregate.counters(), latency: summarizeLatency(aggregate.latency.toHistogram()) };
}

export async function runTotals(
  driver: ClickHouseDriver,
  runId: string,
  filter: IntervalFilter,
  options: RollupOptions,
): Promise<Totals> {
  const groups = await collect(driver, runId, filter, () => 'run', options);
  return totalsOf(groups.get('run'));
}

export async function stepSummaries(
  driver: ClickHouseDriver,
  runId: string,
  filter: IntervalFilter,
  options: RollupOptions,
): Promise<StepSummary[]> {
  const groups = await collect(driver, runId, filter, (g) => g.step, options);
  return groups
    .entries()
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([step, aggregate]) => ({ step, ...totalsOf(aggregate) }));
}

export async function mergedHistogram(
  driver: ClickHouseDriver,
  runId: string,
  filter: IntervalFilter,
  options: RollupOptions,
): Promise<Histogram> {
  const groups = await collect(driver, runId, filter, () => 'run', options);
  return groups.get('run').latency.toHistogram();
}

/**
 * Per second: raw rows, merged across agents (and steps/classes unless filtered). Pages
 * are disjoint time slices, so each page's seconds are final once it is read: only one
 * page of histograms is held at a time. Per minute: rollups.
 */
export async function timeSeries(
  driver: ClickHouseDriver,
  runId: string,
  options: Required<Pick<TimeSeriesOptions, 'resolution'>> & Omit<TimeSeriesOptions, 'resolution'>,
  rollupOptions: RollupOptions,
): Promise<TimeSeriesPoint[]> {
  const filter: IntervalFilter = {
    ...(options.step === undefined ? {} : { steps: [options.step] }),
    ...(options.agent === undefined ? {} : { agents: [options.agent] }),
    ...(options.statusClasses === undefined ? {} : { statusClasses: options.statusClasses }),
    fromSecond: options.fromSecond,
    toSecond: options.toSecond,
  };
  const byTime = (a: TimeSeriesPoint, b: TimeSeriesPoint) => a.second - b.second;
  if (options.resolution === 'minute') {
    const groups = await collect(driver, runId, filter, (g) => minuteOf(g.second), rollupOptions);
    return groups
      .entries()
      .map(([minute, aggregate]) => pointOf(minute, aggregate))
      .sort(byTime);
  }
  const points: TimeSeriesPoint[] = [];
  const where = whereRun(runId, filter, { from: filter.fromSecond, to: filter.toSecond }, 'second');
  for await (const page of readRawRows(driver, where)) {
    const seconds = new Groups<number>();
    for (const row of page) {
      const group = seconds.get(row.second);
      group.addCounters(row, 1);
      group.latency.addEncoded(row.histogram);
    }
    for (const [second, aggregate] of seconds.entries()) points.push(pointOf(second, aggregate));
  }
  return points.sort(byTime);
}

/**
 * Per second and per step or per agent, from raw rows (one page of seconds at a time, as
 * timeSeries does): what a live view draws per step and per agent.
 */
export async function timeSeriesBy(
  driver: ClickHouseDriver,
  runId: string,
  by: 'step' | 'agent',
  filter: IntervalFilter,
): Promise<Record<string, TimeSeriesPoint[]>> {
  const out: Record<string, TimeSeriesPoint[]> = {};
  const where = whereRun(runId, filter, { from: filter.fromSecond, to: filter.toSecond }, 'second');
  for await (const page of readRawRows(driver, where)) {
    const groups = new Map<string, Groups<number>>();
    for (const row of page) {
      // Rows without a step carry a shard's late and dropped sends: the run's, not a step's.
      if (by === 'step' && row.step === '') continue;
      const key = by === 'step' ? row.step : row.agentId;
      let seconds = groups.get(key);
      if (!seconds) {
        seconds = new Groups<number>();
        groups.set(key, seconds);
      }
      const group = seconds.get(row.second);
      group.addCounters(row, 1);
      group.latency.addEncoded(row.histogram);
    }
    for (const [key, seconds] of groups) {
      const points = out[key] ?? [];
      out[key] = points;
      for (const [second, aggregate] of seconds.entries()) points.push(pointOf(second, aggregate));
    }
  }
  for (const points of Object.values(out)) points.sort((a, b) => a.second - b.second);
  return out;
}

/** A run's stored interval rows (a row delivered twice read once), page by page. */
export async function* intervalRows(
  driver: ClickHouseDriver,
  runId: string,
): AsyncGenerator<IntervalRow[]> {
  for await (const page of readRawRows(driver, whereRun(runId, {}, {}, 'second'))) {
    yield page.map((row) => ({ ...row, runId, statusClass: row.statusClass as StatusClass }));
  }
}

/**
 * The merged latency histogram (all agents, steps and classes unless filtered) of every
 * second of a run, oldest first: what an HdrHistogram interval log of the run holds.
 */
export async function histogramsBySecond(
  driver: ClickHouseDriver,
  runId: string,
  filter: IntervalFilter,
): Promise<Array<{ second: number; histogram: Histogram }>> {
  const out: Array<{ second: number; histogram: Histogram }> = [];
  const where = whereRun(runId, filter, { from: filter.fromSecond, to: filter.toSecond }, 'second');
  for await (const page of readRawRows(driver, where)) {
    const seconds = new Groups<number>();
    for (const row of page) seconds.get(row.second).latency.addEncoded(row.histogram);
    for (const [second, aggregate] of seconds.entries()) {
      out.push({ second, histogram: aggregate.latency.toHistogram() });
    }
  }
  return out.sort((a, b) => a.second - b.second);
}

export async function agentsOf(driver: ClickHouseDriver, runId: string): Promise<AgentSummary[]> {
  const rows = await driver.query(
    `SELECT agent_id AS agentId, sum(requests) AS requests, sum(errors) AS errors,
            toUnixTimestamp(min(second)) AS firstSecond, toUnixTimestamp(max(second)) AS lastSecond
     FROM intervals FINAL WHERE run_id = {runId:String}
     GROUP BY agent_id ORDER BY agent_id`,
    { runId },
  );
  return rows.map((row) => AgentSummary.parse(row));
}

/** Every table that holds a run's rows: what deleteRun deletes from. */
const TABLES = ['intervals', 'interval_minutes', 'interval_ingests', 'target_metrics'] as const;

/**
 * Deletes a run's rows, rollups and markers with lightweight DELETEs: gone for reads when
 * this resolves (each waits for its mutation, ~0.1-1 s in chdb, so they run together).
 */
export async function deleteRun(
  driver: ClickHouseDriver,
  runId: string,
  cluster?: ClusterTarget,
): Promise<void> {
  if (cluster) {
    // A Distributed table cannot be deleted from: delete from the local tables, on every
    // node (ON CLUSTER). The run id is inlined as a literal, not bound: ON CLUSTER DDL is
    // re-sent to the nodes as text, and RunId (letters, digits, . _ : -) needs no escape.
    for (const table of TABLES) {
      await driver.exec(
        `DELETE FROM \`${cluster.database}\`.\`${table}${LOCAL_SUFFIX}\`${cluster.onCluster ? ` ON CLUSTER '${cluster.cluster}'` : ''} WHERE run_id = '${runId}'`,
      );
    }
    return;
  }
  await Promise.all(
    TABLES.map((table) =>
      driver.exec(`DELETE FROM ${table} WHERE run_id = {runId:String}`, { runId }),
    ),
  );
}

/**
 * Brings a run's rollups up to date (control calls this as minutes close and when a run
 * ends, so reads find them built). Also marks any raw group that lacks a marker, e.g.
 * after a batch whose marker insert failed and was not retried.
 */
export async function compactRun(
  driver: ClickHouseDriver,
  runId: string,
  options: RollupOptions,
): Promise<{ groups: number; rebuilt: number }> {
  await driver.exec(
    `INSERT INTO interval_ingests (run_id, step, status_class, minute)
     SELECT run_id, step, status_class, toStartOfMinute(second) AS minute
     FROM intervals WHERE run_id = {runId:String}
     GROUP BY run_id, step, status_class, minute
     HAVING (step, status_class, minute) NOT IN (
       SELECT step, status_class, minute FROM interval_ingests WHERE run_id = {runId:String})`,
    { runId },
  );
  return visitMinuteRollups(driver, runId, {}, {}, options, () => {});
}
