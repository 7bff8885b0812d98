/**
 * k6's end-of-test summary: the data handleSummary(data) receives (k6's shape), the text
 * k6 prints from it, and the legacy `--summary-export` JSON.
 */
import type { Metric, MetricRegistry, Sink } from './metrics.js';
import { parseAggregation, type ThresholdOutcome, type ThresholdSet } from './thresholds.js';
import type { CheckCount } from './vu.js';

export interface SummaryCheck {
  name: string;
  path: string;
  id: string;
  passes: number;
  fails: number;
}

export interface SummaryGroup {
  name: string;
  path: string;
  id: string;
  groups: SummaryGroup[];
  checks: SummaryCheck[];
}

export interface SummaryMetric {
  type: string;
  contains: string;
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

export interface SummaryData {
  root_group: SummaryGroup;
  options: { summaryTrendStats: string[]; summaryTimeUnit: string; noColor: boolean };
  state: { isStdOutTTY: boolean; isStdErrTTY: boolean; testRunDurationMs: number };
  metrics: Record<string, SummaryMetric>;
}

function valuesOf(sink: Sink, trendStats: string[], elapsedMs: number): Record<string, number> {
  switch (sink.type) {
    case 'counter':
      return { count: sink.sum, rate: elapsedMs > 0 ? sink.sum / (elapsedMs / 1000) : 0 };
    case 'gauge':
      return sink.count === 0
        ? { value: 0, min: 0, max: 0 }
        : { value: sink.last, min: sink.min, max: sink.max };
    case 'rate':
      return {
        rate: sink.count === 0 ? 0 : sink.passes / sink.count,
        passes: sink.passes,
        fails: sink.count - sink.passes,
      };
    case 'trend': {
      const values: Record<string, number> = {};
      for (const stat of trendStats) {
        const aggregation = parseAggregation(stat);
        if (typeof aggregation !== 'string') {
          values[stat] = sink.aggregate(aggregation, elapsedMs) ?? 0;
        }
      }
      return values;
    }
  }
}

function groupTree(checks: Map<string, Map<string, CheckCount>>, groups: string[]): SummaryGroup {
  const byPath = new Map<string, SummaryGroup>();
  const root: SummaryGroup = {
    name: '',
    path: '',
    id: 'd41d8cd98f00b204e9800998ecf8427e',
    groups: [],
    checks: [],
  };
  byPath.set('', root);
  for (const path of groups) {
    if (byPath.has(path)) continue;
    const cut = path.lastIndexOf('::');
    const parentPath = path.slice(0, cut);
    const group: SummaryGroup = {
      name: path.slice(cut + 2),
      path,
      id: path,
      groups: [],
      checks: [],
    };
    byPath.get(parentPath)?.groups.push(group);
    byPath.set(path, group);
  }
  for (const [path, byName] of checks) {
    const group = byPath.get(path) ?? root;
    for (const [name, count] of byName) {
      group.checks.push({
        name,
        path: `${path}::${name}`,
        id: `${path}::${name}`,
        passes: count.passes,
        fails: count.fails,
      });
    }
  }
  return root;
}

export function summaryData(input: {
  registry: MetricRegistry;
  checks: Map<string, Map<string, CheckCount>>;
  groups: string[];
  trendStats: string[];
  timeUnit: string | undefined;
  elapsedMs: number;
  outcomes: ThresholdOutcome[];
  /** the thresholds judged: a tag-filtered one (`http_req_duration{status:200}`) shows too */
  thresholds: ThresholdSet[];
}): SummaryData {
  const metrics: Record<string, SummaryMetric> = {};
  for (const metric of input.registry.metrics.values()) {
    if (metric.sink.count === 0 && metric.type !== 'counter') continue;
    if (metric.sink.count === 0 && !['iterations', 'http_reqs'].includes(metric.name)) continue;
    metrics[metric.name] = summaryMetric(metric, metric.sink, input.trendStats, input.elapsedMs);
  }
  for (const set of input.thresholds) {
    const metric = input.registry.get(set.metric);
    const sink = input.registry.sinkOf(set.metric, set.filter);
    if (metric && sink && set.key !== set.metric) {
      metrics[set.key] = summaryMetric(metric, sink, input.trendStats, input.elapsedMs);
    }
  }
  for (const outcome of input.outcomes) {
    const metric = metrics[outcome.key];
    if (!metric) continue;
    metric.thresholds ??= {};
    metric.thresholds[outcome.source] = { ok: outcome.ok };
  }
  return {
    root_group: groupTree(input.checks, input.groups),
    options: {
      summaryTrendStats: input.trendStats,
      summaryTimeUnit: input.timeUnit ?? '',
      noColor: true,
    },
    state: { isStdOutTTY: false, isStdErrTTY: false, testRunDurationMs: input.elapsedMs },
    metrics,
  };
}

/** A metric as the summary shows it, from its own sink or a threshold's submetric. */
function summaryMetric(
  metric: Metric,
  sink: Sink,
  trendStats: string[],
  elapsedMs: number,
): SummaryMetric {
  return {
    type: metric.type,
    contains: metric.valueType,
    values: valuesOf(sink, trendStats, elapsedMs),
  };
}

function formatTime(ms: number, unit: string): string {
  if (ms === 0) return '0s';
  if (unit === 's') return `${(ms / 1000).toFixed(2)}s`;
  if (unit === 'ms') return `${ms.toFixed(2)}ms`;
  if (unit === 'us') return `${(ms * 1000).toFixed(2)}µs`;
  if (ms >= 60_000) return `${Math.floor(ms / 60_000)}m${((ms % 60_000) / 1000).toFixed(0)}s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms >= 1) return `${ms.toFixed(2)}ms`;
  return `${(ms * 1000).toFixed(2)}µs`;
}

function formatData(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return `${i === 0 ? value.toFixed(0) : value.toFixed(1)} ${units[i]}`;
}

function formatValue(value: number, contains: string, unit: string): string {
  if (contains === 'time') return formatTime(value, unit);
  if (contains === 'data') return formatData(value);
  return Number.isInteger(value)
    ? String(value)
    : value.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
}

function checkLines(group: SummaryGroup, indent: string, out: string[]): void {
  for (const check of group.checks) {
    const total = check.passes + check.fails;
    if (check.fails === 0) out.push(`${indent}✓ ${check.name}`);
    else {
      out.push(`${indent}✗ ${check.name}`);
      out.push(
        `${indent} ↳  ${Math.floor((check.passes / total) * 100)}% — ✓ ${check.passes} / ✗ ${check.fails}`,
      );
    }
  }
  for (const child of group.groups) {
    out.push('', `${indent}█ ${child.name}`, '');
    checkLines(child, `${indent}  `, out);
  }
}

/** The text k6 prints at the end of a test (without colour). */
export function textSummary(data: SummaryData): string {
  const out: string[] = [];
  checkLines(data.root_group, '     ', out);
  if (out.length > 0) out.push('');
  const names = Object.keys(data.metrics).sort();
  const width = Math.max(30, ...names.map((n) => n.length + 3));
  const unit = data.options.summaryTimeUnit;
  for (const name of names) {
    const metric = data.metrics[name] as SummaryMetric;
    const thresholds = metric.thresholds ? Object.values(metric.thresholds) : [];
    const mark = thresholds.length === 0 ? ' ' : thresholds.every((t) => t.ok) ? '✓' : '✗';
    const sub = name.includes('{');
    const label = sub ? `  ${name.slice(name.indexOf('{'))}` : name;
    let value: string;
    const v = metric.values;
    switch (metric.type) {
      case 'counter':
        value = `${formatValue(v.count ?? 0, metric.contains, unit)} ${formatValue(v.rate ?? 0, metric.contains === 'data' ? 'data' : 'default', unit).replace(/(\.\d{1,6})\d*$/, '$1')}/s`;
        break;
      case 'gauge':
        value = `${formatValue(v.value ?? 0, metric.contains, unit)} min=${formatValue(v.min ?? 0, metric.contains, unit)} max=${formatValue(v.max ?? 0, metric.contains, unit)}`;
        break;
      case 'rate':
        value = `${((v.rate ?? 0) * 100).toFixed(2)}% ✓ ${v.passes ?? 0} ✗ ${v.fails ?? 0}`;
        break;
      default:
        value = Object.entries(v)
          .map(([stat, x]) => `${stat}=${formatValue(x, metric.contains, unit)}`)
          .join(' ');
    }
    out.push(`   ${mark} ${`${label}`.padEnd(width, '.')}: ${value}`);
  }
  return `${out.join('\n')}\n`;
}

/** The legacy `--summary-export` JSON (k6's pre-handleSummary format). */
export function exportSummary(data: SummaryData): Record<string, unknown> {
  const metrics: Record<string, unknown> = {};
  for (const [name, metric] of Object.entries(data.metrics)) {
    const values: Record<string, unknown> = { ...metric.values };
    if (metric.type === 'rate') {
      values.value = values.rate;
      delete values.rate;
    }
    if (metric.thresholds) {
      values.thresholds = Object.fromEntries(
        Object.entries(metric.thresholds).map(([k, t]) => [k, !t.ok]),
      );
    }
    metrics[name] = values;
  }
  return { root_group: data.root_group, metrics };
}
