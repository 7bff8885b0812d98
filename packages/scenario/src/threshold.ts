/**
 * k6-style thresholds: a metric selector (`latency{step:detail}`, `errors`) and
 * conditions (`p(99)<300`, `rate<0.01`, `avg<=120`). Parsed once, evaluated on merged
 * data by whoever holds it (control, or the CLI on a local run).
 */

export const METRICS = [
  'latency',
  'errors',
  'requests',
  'checks',
  'iterations',
  'dropped',
] as const;
export type MetricName = (typeof METRICS)[number];

/** What each metric can be asked about. */
const AGGREGATIONS: Record<MetricName, readonly string[]> = {
  latency: ['p', 'avg', 'min', 'max', 'med'],
  errors: ['rate', 'count'],
  requests: ['count', 'rate'],
  checks: ['rate', 'count'],
  iterations: ['count', 'rate'],
  dropped: ['count', 'rate'],
};

export type Comparison = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface MetricSelector {
  metric: MetricName;
  /** e.g. { step: 'detail' } or { flow: 'buy' } */
  tags: Record<string, string>;
}

export interface Condition {
  /** 'p' (with percentile), 'avg', 'min', 'max', 'med', 'rate', 'count' */
  aggregation: string;
  percentile?: number;
  comparison: Comparison;
  value: number;
  /** the text as written, for reports */
  source: string;
}

// Greedy to the last "}": a replay step name holds braces (`GET /api/products/{id}`).
const SELECTOR = /^([a-z_]+)(?:\{(.*)\})?$/;
const TAG = /^\s*([a-z_]+)\s*:\s*([^,]+?)\s*$/;
const CONDITION =
  /^\s*(p\((\d+(?:\.\d+)?)\)|avg|min|max|med|rate|count)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

export function parseSelector(text: string): MetricSelector | string {
  const match = SELECTOR.exec(text.trim());
  if (!match) return `"${text}" is not a metric selector like latency{step:detail} or errors`;
  const metric = match[1] as string;
  if (!(METRICS as readonly string[]).includes(metric)) {
    return `unknown metric "${metric}" (expected one of ${METRICS.join(', ')})`;
  }
  const tags: Record<string, string> = {};
  if (match[2] !== undefined && match[2].trim() !== '') {
    for (const part of match[2].split(',')) {
      const tag = TAG.exec(part);
      if (!tag) return `tag "${part.trim()}" is not key:value`;
      const key = tag[1] as string;
      if (!['step', 'flow', 'status', 'agent'].includes(key)) {
        return `unknown tag "${key}" (expected step, flow, status or agent)`;
      }
      tags[key] = tag[2] as string;
    }
  }
  return { metric: metric as MetricName, tags };
}

export function parseCondition(metric: MetricName, text: string): Condition | string {
  const match = CONDITION.exec(text);
  if (!match) {
    return `"${text}" is not a condition like p(99)<300, avg<200 or rate<0.01`;
  }
  const aggregation = (match[1] as string).startsWith('p(') ? 'p' : (match[1] as string);
  if (!AGGREGATIONS[metric].includes(aggregation)) {
    return `${metric} supports ${AGGREGATIONS[metric].map((a) => (a === 'p' ? 'p(N)' : a)).join(', ')}, not ${aggregation === 'p' ? 'p(N)' : aggregation}`;
  }
  const percentile = match[2] === undefined ? undefined : Number(match[2]);
  if (percentile !== undefined && (percentile <= 0 || percentile > 100)) {
    return `percentile ${percentile} is outside (0, 100]`;
  }
  const value = Number(match[4]);
  if (
    aggregation === 'rate' &&
    metric !== 'requests' &&
    metric !== 'iterations' &&
    (value < 0 || value > 1)
  ) {
    return `a ${metric} rate is a fraction between 0 and 1, got ${value}`;
  }
  return {
    aggregation,
    ...(percentile === undefined ? {} : { percentile }),
    comparison: match[3] as Comparison,
    value,
    source: text.trim(),
  };
}

export function compare(actual: number, comparison: Comparison, expected: number): boolean {
  switch (comparison) {
    case '<':
      return actual < expected;
    case '<=':
      return actual <= expected;
    case '>':
      return actual > expected;
    case '>=':
      return actual >= expected;
    case '==':
      return actual === expected;
    case '!=':
      return actual !== expected;
  }
}
