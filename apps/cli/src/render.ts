import type { IntervalReport, RunReport } from '@loadline/engine';
import { encodeHistogram, type LatencySummary, summarizeLatency } from '@loadline/histogram';

/** The `--json` result. Field names are a stable interface: add, never rename. */
export interface BenchJson {
  requests: number;
  errors: number;
  late: number;
  dropped: number;
  durationS: number;
  targetRps: number | null;
  achievedRps: number;
  latencyMs: Omit<LatencySummary, 'count'>;
  statusCodes: Record<string, number>;
  histogram: string;
  // additions beyond the documented shape
  model: 'open' | 'closed';
  scheduled: number;
  transportErrors: Record<string, number>;
  peakConnections: number;
  aborted: boolean;
  startedAt: string;
}

const round = (value: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

export function benchJson(report: RunReport): BenchJson {
  const { count: _count, ...latencyMs } = summarizeLatency(report.histogram);
  return {
    requests: report.requests,
    errors: report.errors,
    late: report.late,
    dropped: report.dropped,
    durationS: round(report.durationS, 3),
    targetRps: report.targetRps === null ? null : round(report.targetRps, 2),
    achievedRps: round(report.achievedRps, 2),
    latencyMs,
    statusCodes: report.statusCodes,
    histogram: encodeHistogram(report.histogram),
    model: report.model,
    scheduled: report.scheduled,
    transportErrors: report.transportErrors,
    peakConnections: report.peakConnections,
    aborted: report.aborted,
    startedAt: new Date(report.startedAtMs).toISOString(),
  };
}

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const dec1 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

function ms(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  if (value >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

export interface ProgressState {
  elapsedS: number;
  totalS: number;
  requests: number;
  errors: number;
  late: number;
  dropped: number;
  p99SoFarMs: number;
}

/** One live line: elapsed, rate of the last interval, p99 so far, errors. */
export function progressLine(interval: IntervalReport, state: ProgressState): string {
  const parts = [
    `${Math.min(state.elapsedS, state.totalS).toFixed(0)}s/${state.totalS.toFixed(0)}s`,
    `${int.format(interval.achievedRps)} rps`,
    `p99 ${ms(state.p99SoFarMs)} ms`,
    `errors ${int.format(state.errors)}`,
  ];
  if (state.late > 0) parts.push(`late ${int.format(state.late)}`);
  if (state.dropped > 0) parts.push(`dropped ${int.format(state.dropped)}`);
  parts.push(`in flight ${int.format(interval.inFlight)}`);
  return parts.join('  ');
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
}

/** The final human-readable table. */
export function finalTable(report: RunReport, heading: string): string {
  const latency = summarizeLatency(report.histogram);
  const errorRate = report.requests > 0 ? (report.errors / report.requests) * 100 : 0;
  const lines: string[] = [];
  lines.push(heading);
  if (report.aborted) lines.push('  ABORTED: the run was stopped before the end of its profile');
  lines.push('');
  const rates =
    report.targetRps === null
      ? `${dec1.format(report.achievedRps)}/s over ${report.durationS.toFixed(1)}s`
      : `${dec1.format(report.achievedRps)}/s achieved, ${dec1.format(report.targetRps)}/s target, over ${report.durationS.toFixed(1)}s`;
  lines.push(`  requests  ${int.format(report.requests).padStart(10)}   ${rates}`);
  lines.push(
    `  errors    ${int.format(report.errors).padStart(10)}   ${errorRate.toFixed(2)}% (transport errors and non-2xx/3xx)`,
  );
  if (report.model === 'open') {
    lines.push(
      `  late      ${int.format(report.late).padStart(10)}   sent >10 ms after their intended time`,
    );
    lines.push(
      `  dropped   ${int.format(report.dropped).padStart(10)}   not sent: --max-in-flight reached`,
    );
  }
  const statuses = Object.entries(report.statusCodes)
    .map(([code, n]) => `${code} × ${int.format(n)}`)
    .join(', ');
  lines.push(`  status    ${statuses || '(no responses)'}`);
  const transport = Object.entries(report.transportErrors)
    .map(([code, n]) => `${code} × ${int.format(n)}`)
    .join(', ');
  if (transport) lines.push(`  transport ${transport}`);
  lines.push('');
  lines.push(
    report.model === 'open'
      ? '  latency (ms), measured from each request’s intended send time'
      : '  latency (ms), measured from each request’s send',
  );
  const headers = ['min', 'mean', 'p50', 'p90', 'p99', 'p99.9', 'max'];
  const values = [
    latency.min,
    latency.mean,
    latency.p50,
    latency.p90,
    latency.p99,
    latency.p999,
    latency.max,
  ].map(ms);
  const widths = headers.map((h, i) => Math.max(h.length, (values[i] ?? '').length));
  lines.push(`    ${pad(headers, widths)}`);
  lines.push(`    ${pad(values, widths)}`);
  return `${lines.join('\n')}\n`;
}
