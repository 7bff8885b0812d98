import { z } from 'zod';
import type { ClickHouseDriver } from './driver.js';
import type { Where } from './sql.js';

/** The counted columns a raw interval row and a stored minute rollup both carry. */
export const countedColumns = {
  requests: z.coerce.number(),
  errors: z.coerce.number(),
  checks: z.coerce.number(),
  checksFailed: z.coerce.number(),
  late: z.coerce.number(),
  dropped: z.coerce.number(),
  histogram: z.string(),
};

/** A raw interval row as queries read it back (second as epoch s). */
export const RawRow = z.object({
  step: z.string(),
  statusClass: z.string(),
  agentId: z.string(),
  second: z.coerce.number(),
  ...countedColumns,
});
export type RawRow = z.infer<typeof RawRow>;

const Extent = z.object({
  rows: z.coerce.number(),
  first: z.coerce.number(),
  last: z.coerce.number(),
});

/** Rows per read: bounds the memory a read takes (~600 bytes a row with its histogram). */
export const PAGE_ROWS = 50_000;

const COLUMNS = `step, status_class AS statusClass, agent_id AS agentId,
  toUnixTimestamp(second) AS second, requests, errors, checks, checks_failed AS checksFailed,
  late, dropped, histogram`;

/**
 * Reads the deduplicated raw rows matching `where` (FINAL: a row delivered twice is read
 * once), page by page: the extent is measured first and cut into time slices of about
 * PAGE_ROWS rows, so a whole run never sits in memory as one response.
 */
export async function* readRawRows(
  driver: ClickHouseDriver,
  where: Where,
  pageRows: number = PAGE_ROWS,
): AsyncGenerator<RawRow[]> {
  const [extentRow] = await driver.query(
    `SELECT count() AS rows, toUnixTimestamp(min(second)) AS first,
            toUnixTimestamp(max(second)) AS last
     FROM intervals WHERE ${where.sql}`,
    where.params,
  );
  const extent = Extent.parse(extentRow);
  if (extent.rows === 0) return;
  const pages = Math.ceil(extent.rows / pageRows);
  const slice = Math.max(1, Math.ceil((extent.last - extent.first + 1) / pages));
  for (let from = extent.first; from <= extent.last; from += slice) {
    const rows = await driver.query(
      `SELECT ${COLUMNS} FROM intervals FINAL
       WHERE ${where.sql}
         AND second >= toDateTime({pageFrom:UInt32}, 'UTC')
         AND second < toDateTime({pageTo:UInt32}, 'UTC')`,
      { ...where.params, pageFrom: from, pageTo: from + slice },
    );
    yield rows.map((row) => RawRow.parse(row));
  }
}
