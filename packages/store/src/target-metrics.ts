// Rows control scrapes from the targets' /metrics during a run (see migration 005).
import { z } from 'zod';
import type { ClickHouseDriver } from './driver.js';

export const TargetMetricRow = z.strictObject({
  runId: z.string().min(1).max(128),
  service: z.string().min(1).max(200),
  instance: z.string().min(1).max(2000),
  second: z.number().int().nonnegative().max(4_294_967_295),
  intervalS: z.number().positive(),
  requests: z.number().min(0),
  /** -1: the instance exposes no CPU counter */
  cpuSeconds: z.number().min(-1),
  /** -1: no requests in the interval */
  p50Ms: z.number().min(-1),
  p99Ms: z.number().min(-1),
});
export type TargetMetricRow = z.infer<typeof TargetMetricRow>;

export async function insertTargetMetrics(
  driver: ClickHouseDriver,
  rows: readonly TargetMetricRow[],
): Promise<void> {
  if (rows.length === 0) return;
  await driver.insertJSONEachRow(
    'target_metrics',
    rows.map((r) => ({
      run_id: r.runId,
      service: r.service,
      instance: r.instance,
      second: r.second,
      interval_s: r.intervalS,
      requests: r.requests,
      cpu_seconds: r.cpuSeconds,
      p50_ms: r.p50Ms,
      p99_ms: r.p99Ms,
    })),
  );
}

const Read = z.object({
  service: z.string(),
  instance: z.string(),
  second: z.coerce.number(),
  intervalS: z.coerce.number(),
  requests: z.coerce.number(),
  cpuSeconds: z.coerce.number(),
  p50Ms: z.coerce.number(),
  p99Ms: z.coerce.number(),
});

export async function targetMetrics(
  driver: ClickHouseDriver,
  runId: string,
): Promise<TargetMetricRow[]> {
  const rows = await driver.query(
    `SELECT service, instance, toUnixTimestamp(second) AS second, interval_s AS intervalS,
            requests, cpu_seconds AS cpuSeconds, p50_ms AS p50Ms, p99_ms AS p99Ms
     FROM target_metrics FINAL WHERE run_id = {runId:String}
     ORDER BY service, instance, second`,
    { runId },
  );
  return rows.map((row) => ({ runId, ...Read.parse(row) }));
}
