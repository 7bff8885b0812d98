import type { GeneratorCheck } from '@loadline/api';
import { type FlowReport, RunSummary } from '@loadline/engine';

function pad(text: string, width: number, left = false): string {
  return left ? text.padEnd(width) : text.padStart(width);
}

/** A saturated generator, said right under the status: the figures below describe it. */
function generatorLines(generator: GeneratorCheck | undefined): string[] {
  if (!generator || generator.saturated.length === 0) return [];
  const lines = [
    '',
    '  INVALID: a load generator could not keep up; the figures below describe it, not the target',
  ];
  for (const s of generator.saturated) {
    lines.push(
      `    ${s.agentId}: ${s.seconds} s saturated (late ${(s.lateShare * 100).toFixed(1)}%, event-loop delay p99 ${s.eventLoopDelayP99Ms} ms, CPU ${(s.cpu * 100).toFixed(0)}%, ${s.sentPerSecond} sends/s)`,
    );
  }
  if (generator.hint) lines.push(`    ${generator.hint}`);
  return lines;
}

function thresholdLine(t: {
  expression: string;
  passed: boolean;
  value: number | null;
  untrustworthy?: boolean | undefined;
}): string {
  const mark = t.untrustworthy ? '  untrustworthy: measured by a saturated generator' : '';
  return `    ${t.passed ? 'PASS' : 'FAIL'}  ${t.expression}  (value ${t.value ?? 'no data'})${mark}`;
}

export function runTable(result: RunSummary, report: FlowReport): string {
  const lines: string[] = [];
  lines.push(`loadline run  ${result.scenario}  (${result.runId}, in this process)`);
  lines.push(
    `  status ${result.status.toUpperCase()}${result.abortReason ? ` (${result.abortReason})` : ''}, ${result.durationS}s, ${result.iterations?.started ?? 0} iterations (${result.iterations?.failed ?? 0} failed), late ${result.late}, dropped ${result.dropped}, peak connections ${report.peakConnections}`,
  );
  lines.push(...generatorLines(result.generator));
  lines.push('');
  const mix = Object.keys(result.intendedMix)
    .map(
      (flow) =>
        `${flow} ${(100 * (result.achievedMix[flow] ?? 0)).toFixed(1)}% (intended ${(100 * (result.intendedMix[flow] ?? 0)).toFixed(1)}%)`,
    )
    .join(', ');
  lines.push(`  flow mix  ${mix}`);
  lines.push('');
  const header = ['step', 'requests', 'errors', 'checks✗', 'p50', 'p90', 'p99', 'p99.9', 'max'];
  const rows = Object.entries(result.steps).map(([name, s]) => [
    name,
    String(s.requests),
    String(s.errors),
    String(s.checksFailed),
    ...[s.latencyMs.p50, s.latencyMs.p90, s.latencyMs.p99, s.latencyMs.p999, s.latencyMs.max].map(
      String,
    ),
  ]);
  rows.push([
    'total',
    String(result.total.requests),
    String(result.total.errors),
    '',
    ...[
      result.total.latencyMs.p50,
      result.total.latencyMs.p90,
      result.total.latencyMs.p99,
      result.total.latencyMs.p999,
      result.total.latencyMs.max,
    ].map(String),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  lines.push(
    `  ${header.map((h, i) => pad(h, widths[i] ?? 0, i === 0)).join('  ')}   (latency ms)`,
  );
  for (const row of rows)
    lines.push(`  ${row.map((c, i) => pad(c, widths[i] ?? 0, i === 0)).join('  ')}`);
  if (result.thresholds.length > 0) {
    lines.push('');
    lines.push('  thresholds');
    for (const t of result.thresholds) lines.push(thresholdLine(t));
  }
  return `${lines.join('\n')}\n`;
}

/** The final table for a run summary as control stores it (a RunSummary, maybe partial). */
export function summaryTable(
  summary: Record<string, unknown> & { runId: string; status: string },
): string {
  const read = RunSummary.partial().safeParse(summary);
  const s = { ...(read.success ? read.data : {}), runId: summary.runId, status: summary.status };
  const lines = [`loadline run  ${s.scenario ?? ''}  (${s.runId})`];
  lines.push(
    `  status ${s.status.toUpperCase()}${s.abortReason ? ` (${s.abortReason})` : ''}, ${s.durationS ?? 0}s on ${s.agents ?? 0} agent(s), late ${s.late ?? 0}, dropped ${s.dropped ?? 0}`,
  );
  lines.push(...generatorLines(s.generator));
  if (s.intendedMix) {
    const mix = Object.keys(s.intendedMix)
      .map(
        (flow) =>
          `${flow} ${(100 * (s.achievedMix?.[flow] ?? 0)).toFixed(1)}% (intended ${(100 * (s.intendedMix?.[flow] ?? 0)).toFixed(1)}%)`,
      )
      .join(', ');
    lines.push(`  flow mix  ${mix}`);
  }
  lines.push('');
  const rows = Object.entries(s.steps ?? {}).map(([name, step]) => [
    name,
    String(step.requests),
    String(step.errors),
    String(step.checksFailed),
    ...[
      step.latencyMs.p50,
      step.latencyMs.p90,
      step.latencyMs.p99,
      step.latencyMs.p999,
      step.latencyMs.max,
    ].map(String),
  ]);
  if (s.total) {
    const t = s.total;
    rows.push([
      'total',
      String(t.requests),
      String(t.errors),
      '',
      ...[t.latencyMs.p50, t.latencyMs.p90, t.latencyMs.p99, t.latencyMs.p999, t.latencyMs.max].map(
        String,
      ),
    ]);
  }
  const header = ['step', 'requests', 'errors', 'checks✗', 'p50', 'p90', 'p99', 'p99.9', 'max'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  lines.push(
    `  ${header.map((h, i) => pad(h, widths[i] ?? 0, i === 0)).join('  ')}   (latency ms)`,
  );
  for (const row of rows)
    lines.push(`  ${row.map((c, i) => pad(c, widths[i] ?? 0, i === 0)).join('  ')}`);
  if (s.thresholds && s.thresholds.length > 0) {
    lines.push('', '  thresholds');
    for (const t of s.thresholds) lines.push(thresholdLine(t));
  }
  return `${lines.join('\n')}\n`;
}
