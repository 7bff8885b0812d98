// Rows control scrapes from the targets' /metrics during a run (see migrations 005–007).
import type { TargetMetricRow } from '@loadline/api';
import { z } from 'zod';
import type { ClickHouseDriver } from './driver.js';

export { TargetMetricRow } from '@loadline/api';

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
      busy_seconds: r.busySeconds ?? -1,
      gauges: r.gauges ?? {},
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
  busySeconds: z.coerce.number(),
  gauges: z.record(z.string(), z.coerce.number()).default({}),
});

export async function targetMetrics(
  driver: ClickHouseDriver,
  runId: string,
): Promise<TargetMetricRow[]> {
  const rows = await driver.query(
    `SELECT service, instance, toUnixTimestamp(second) AS second, interval_s AS intervalS,
            requests, cpu_seconds AS cpuSeconds, p50_ms AS p50Ms, p99_ms AS p99Ms,
            busy_seconds AS busySeconds, gauges
     FROM target_metrics FINAL WHERE run_id = {runId:String}
     ORDER BY service, instance, second`,
    { runId },
  );
  return rows.map((row) => {
    const { gauges, ...read } = Read.parse(row);
    return { runId, ...read, ...(Object.keys(gauges).length > 0 ? { gauges } : {}) };
  });
}
