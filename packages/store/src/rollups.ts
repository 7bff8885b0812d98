import { z } from 'zod';
import { Aggregate } from './aggregate.js';
import type { ClickHouseDriver } from './driver.js';
import type { HistogramAccumulator } from './histogram-accumulator.js';
import { countedColumns, readRawRows } from './raw.js';
import { minuteOf } from './rows.js';
import type { Counters, IntervalFilter } from './schemas.js';
import { type TimeRange, whereRun } from './sql.js';

/**
 * Per-minute rollups, a materialisation the store controls from Node:
 * - ingest writes raw rows, then one marker per (run, step, status class, minute) touched;
 * - a rollup of a group is valid when built after the group's newest marker;
 * - reads take valid rollups as they are and rebuild stale or missing ones from the
 *   deduplicated raw rows, writing them back once the minute is sealed (ended more than
 *   `sealAfterSeconds` ago), so a live minute is recomputed, not rewritten, every second.
 * Clocks: markers and built_at both come from the ClickHouse server clock, and built_at is
 * read before the raw rows are: a batch whose marker is older than a build was committed
 * before that build read, so it is in it.
 */
export interface RollupOptions {
  sealAfterSeconds: number;
}

/** One (step, status class, minute): its counters and merged latency. */
export interface MinuteRollup {
  step: string;
  statusClass: string;
  minute: number;
  rows: number;
  counters: Counters;
  /** encoded (as stored) or freshly merged */
  histogram: string | HistogramAccumulator;
}

const Marker = z.object({
  step: z.string(),
  statusClass: z.string(),
  minute: z.coerce.number(),
  markedAtUs: z.coerce.number(),
});
type Marker = z.infer<typeof Marker>;

const StoredRollup = z.object({
  step: z.string(),
  statusClass: z.string(),
  minute: z.coerce.number(),
  builtAtUs: z.coerce.number(),
  rows: z.coerce.number(),
  ...countedColumns,
});

const key = (step: string, statusClass: string, minute: number) =>
  `${step}\0${statusClass}\0${minute}`;

type GroupFilter = Pick<IntervalFilter, 'steps' | 'statusClasses'>;

/** Adds a rollup's counters and latency into an aggregate. */
export function addRollup(target: Aggregate, rollup: MinuteRollup): void {
  target.addCounters(rollup.counters, rollup.rows);
  if (typeof rollup.histogram === 'string') target.latency.addEncoded(rollup.histogram);
  else target.latency.addAccumulator(rollup.histogram);
}

/** Stale groups rebuilt per read: bounds memory (one ~140 KB accumulator per group). */
const REBUILD_CHUNK_GROUPS = 256;

/**
 * Visits every minute group of a run within `minutes`, from valid rollups or rebuilt.
 * Returns how many groups there are and how many of them were rebuilt from raw rows.
 */
export async function visitMinuteRollups(
  driver: ClickHouseDriver,
  runId: string,
  filter: GroupFilter,
  minutes: TimeRange,
  options: RollupOptions,
  visit: (rollup: MinuteRollup) => void,
): Promise<{ groups: number; rebuilt: number }> {
  const where = whereRun(runId, filter, minutes, 'minute');
  const [markerRows, rollupRows] = await Promise.all([
    driver.query(
      `SELECT step, status_class AS statusClass, toUnixTimestamp(minute) AS minute,
              max(marked_at_us) AS markedAtUs
       FROM interval_ingests WHERE ${where.sql}
       GROUP BY step, status_class, minute
       ORDER BY minute`,
      where.params,
    ),
    driver.query(
      `SELECT step, status_class AS statusClass, toUnixTimestamp(minute) AS minute,
              built_at_us AS builtAtUs, source_rows AS rows, requests, errors,
              checks, checks_failed AS checksFailed, late, dropped, histogram
       FROM interval_minutes FINAL WHERE ${where.sql}`,
      where.params,
    ),
  ]);
  const stored = new Map(
    rollupRows.map((row) => {
      const r = StoredRollup.parse(row);
      return [key(r.step, r.statusClass, r.minute), r];
    }),
  );
  // Markers are the groups: a rollup without one (say, written back by a read racing a
  // deleteRun) belongs to no data and is ignored.
  const stale: Marker[] = [];
  for (const row of markerRows) {
    const marker = Marker.parse(row);
    const rollup = stored.get(key(marker.step, marker.statusClass, marker.minute));
    if (!rollup || rollup.builtAtUs < marker.markedAtUs) {
      stale.push(marker);
    } else if (rollup.rows > 0) {
      const { step, statusClass, minute, rows, histogram } = rollup;
      const { requests, errors, checks, checksFailed, late, dropped } = rollup;
      const counters = { requests, errors, checks, checksFailed, late, dropped };
      visit({ step, statusClass, minute, rows, histogram, counters });
    }
  }
  // markers come sorted by minute, so each chunk reads a short time range
  for (let i = 0; i < stale.length; i += REBUILD_CHUNK_GROUPS) {
    await rebuild(driver, runId, stale.slice(i, i + REBUILD_CHUNK_GROUPS), options, visit);
  }
  return { groups: markerRows.length, rebuilt: stale.length };
}

async function serverNowUs(driver: ClickHouseDriver): Promise<number> {
  const [row] = await driver.query('SELECT toUnixTimestamp64Micro(now64(6)) AS now');
  return z.object({ now: z.coerce.number() }).parse(row).now;
}

/** Rebuilds stale groups from raw rows, visits them, and writes back the sealed ones. */
async function rebuild(
  driver: ClickHouseDriver,
  runId: string,
  stale: Marker[],
  options: RollupOptions,
  visit: (rollup: MinuteRollup) => void,
): Promise<void> {
  const builtAtUs = await serverNowUs(driver);
  const groups = new Map(stale.map((m) => [key(m.step, m.statusClass, m.minute), new Aggregate()]));
  const filter = {
    steps: [...new Set(stale.map((m) => m.step))],
    statusClasses: [...new Set(stale.map((m) => m.statusClass))] as GroupFilter['statusClasses'],
  };
  const range = {
    from: stale.reduce((min, m) => Math.min(min, m.minute), Number.POSITIVE_INFINITY),
    to: stale.reduce((max, m) => Math.max(max, m.minute), 0) + 60,
  };
  for await (const page of readRawRows(driver, whereRun(runId, filter, range, 'second'))) {
    for (const row of page) {
      const group = groups.get(key(row.step, row.statusClass, minuteOf(row.second)));
      if (!group) continue;
      group.addCounters(row, 1);
      group.latency.addEncoded(row.histogram);
    }
  }
  const sealedUntil = builtAtUs / 1e6 - options.sealAfterSeconds;
  const records: Record<string, unknown>[] = [];
  for (const { step, statusClass, minute } of stale) {
    const group = groups.get(key(step, statusClass, minute))!;
    const counters = group.counters();
    if (group.rows > 0) {
      visit({ step, statusClass, minute, rows: group.rows, counters, histogram: group.latency });
    }
    if (minute + 60 > sealedUntil) continue;
    records.push({
      run_id: runId,
      step,
      status_class: statusClass,
      minute,
      source_rows: group.rows,
      requests: counters.requests,
      errors: counters.errors,
      checks: counters.checks,
      checks_failed: counters.checksFailed,
      late: counters.late,
      dropped: counters.dropped,
      histogram: group.latency.toEncoded(),
      built_at_us: builtAtUs,
    });
  }
  await driver.insertJSONEachRow('interval_minutes', records);
}
