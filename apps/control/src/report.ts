import { type RunSummary, storedRunSummary } from '@loadline/api';
import { controlApi } from '@loadline/api/http';
import { HlogWriter } from '@loadline/histogram';
import type { Run } from '@loadline/metadata';
import type { ResultStore } from '@loadline/store';

const FORMATS = controlApi.runReport.success.body.formats;
export type ReportFormat = keyof typeof FORMATS;
export const REPORT_FORMATS = Object.keys(FORMATS) as ReportFormat[];

export function contentTypeOf(format: ReportFormat): string {
  return FORMATS[format];
}

const LATENCY = ['p50', 'p90', 'p99', 'p999', 'max'] as const;

/** A saturated generator, right under the title: every figure after it describes the generator. */
function saturationMarkdown(summary: RunSummary): string[] {
  const saturated = summary.generator?.saturated ?? [];
  if (saturated.length === 0) return [];
  return [
    '',
    '> **INVALID: a load generator could not keep up.** The figures below describe the generator, not the target.',
    ...saturated.map(
      (s) =>
        `> - \`${s.agentId}\`: ${s.seconds} s saturated, ${(s.lateShare * 100).toFixed(1)} % of sends late, event-loop delay p99 ${s.eventLoopDelayP99Ms} ms, about ${s.sentPerSecond} sends/s`,
    ),
    ...(summary.generator?.hint ? [`>`, `> ${summary.generator.hint}`] : []),
    '',
  ];
}

function markdown(run: Run, summary: RunSummary): string {
  const lines = [
    `# ${summary.scenario}: ${summary.status.toUpperCase()}`,
    '',
    `Run \`${run.id}\`, ${summary.durationS} s on ${summary.agents} agent(s), environment \`${run.environment}\`.`,
    summary.abortReason ? `\nStopped: ${summary.abortReason}\n` : '',
    ...saturationMarkdown(summary),
    '| step | requests | errors | checks failed | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...Object.entries(summary.steps).map(
      ([name, s]) =>
        `| ${name} | ${s.requests} | ${s.errors} | ${s.checksFailed} | ${LATENCY.map((k) => s.latencyMs[k]).join(' | ')} |`,
    ),
    `| **total** | ${summary.total.requests} | ${summary.total.errors} | | ${LATENCY.map((k) => summary.total.latencyMs[k]).join(' | ')} |`,
    '',
    '## Thresholds',
    '',
    ...(summary.thresholds.length === 0
      ? ['(none)']
      : summary.thresholds.map(
          (t) =>
            `- ${t.passed ? '✅' : '❌'} \`${t.expression}\` — value ${t.value ?? 'no data'}${t.untrustworthy ? ' (untrustworthy: measured by a saturated generator)' : ''}`,
        )),
    '',
    '## Flow mix',
    '',
    ...Object.keys(summary.intendedMix).map(
      (flow) =>
        `- ${flow}: ${(100 * (summary.achievedMix[flow] ?? 0)).toFixed(1)} % achieved, ${(100 * (summary.intendedMix[flow] ?? 0)).toFixed(1)} % intended`,
    ),
    '',
    'Percentiles come from merged HdrHistograms across agents and seconds.',
  ];
  return `${lines.join('\n')}\n`;
}

function csvCell(value: string | number): string {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csv(summary: RunSummary): string {
  const header = ['step', 'requests', 'errors', 'checks_failed', ...LATENCY.map((k) => `${k}_ms`)];
  const rows = Object.entries(summary.steps).map(([name, s]) => [
    name,
    s.requests,
    s.errors,
    s.checksFailed,
    ...LATENCY.map((k) => s.latencyMs[k]),
  ]);
  rows.push([
    'total',
    summary.total.requests,
    summary.total.errors,
    '',
    ...LATENCY.map((k) => summary.total.latencyMs[k]),
  ]);
  return `${[header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n')}\n`;
}

function xml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

/** Thresholds as JUnit test cases, so CI systems show a load test like any other test. */
function junit(run: Run, summary: RunSummary): string {
  const failures = summary.thresholds.filter((t) => !t.passed).length;
  const cases = summary.thresholds.map((t) => {
    const name = xml(t.expression);
    return t.passed
      ? `    <testcase classname="${xml(summary.scenario)}" name="${name}"/>`
      : `    <testcase classname="${xml(summary.scenario)}" name="${name}">\n      <failure message="measured ${t.value ?? 'no data'}">${name}: measured ${t.value ?? 'no data'}</failure>\n    </testcase>`;
  });
  if (summary.status === 'aborted' || summary.status === 'degraded' || summary.status === 'error') {
    cases.push(
      `    <testcase classname="${xml(summary.scenario)}" name="run completed">\n      <failure message="${xml(summary.status)}">${xml(summary.abortReason ?? summary.status)}</failure>\n    </testcase>`,
    );
  } else if (summary.status === 'invalid') {
    cases.push(
      `    <testcase classname="${xml(summary.scenario)}" name="load generators kept up">\n      <failure message="invalid">${xml(summary.generator?.hint ?? 'a load generator was saturated')}</failure>\n    </testcase>`,
    );
  }
  const tests = cases.length;
  const failed = failures + (cases.length > summary.thresholds.length ? 1 : 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="loadline" tests="${tests}" failures="${failed}">`,
    `  <testsuite name="${xml(summary.scenario)} (${run.id})" tests="${tests}" failures="${failed}" time="${summary.durationS}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

async function hlog(run: Run, store: ResultStore): Promise<string> {
  const seconds = await store.histogramsBySecond(run.id);
  let out = '';
  const writer = new HlogWriter((chunk) => {
    out += chunk;
  });
  const startMs =
    (seconds[0]?.second ?? Math.floor((run.startedAt?.getTime() ?? Date.now()) / 1000)) * 1000;
  writer.writeHeader(
    startMs,
    `loadline run ${run.id} (${run.scenario}); merged across agents and steps; values in µs`,
  );
  for (const { second, histogram } of seconds)
    writer.writeInterval(histogram, second * 1000, (second + 1) * 1000);
  return out;
}

/** A finished run's report in one of the export formats. */
export async function renderReport(
  run: Run,
  store: ResultStore,
  format: ReportFormat,
): Promise<string> {
  if (format === 'hlog') return hlog(run, store);
  const summary = storedRunSummary(run.summary, run);
  switch (format) {
    case 'json':
      return `${JSON.stringify({ run: { id: run.id, scenario: run.scenario, environment: run.environment, status: run.status, createdAt: run.createdAt, startedAt: run.startedAt, endedAt: run.endedAt }, summary }, null, 2)}\n`;
    case 'md':
      return markdown(run, summary);
    case 'csv':
      return csv(summary);
    case 'junit':
      return junit(run, summary);
  }
}
