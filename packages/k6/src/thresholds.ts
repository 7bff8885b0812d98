/**
 * k6's `options.thresholds`, read and judged the way k6 does (grafana/k6 `metrics/thresholds.go`,
 * `metrics/thresholds_parser.go`, `metrics/metric.go`, `metrics/engine/engine.go`): parsing needs
 * only the script's options, type checks need the metric registry, evaluation needs samples.
 */
import { parseK6Duration } from './duration.js';
import type { Aggregation, MetricType, TagFilter, ThresholdSource } from './metric-types.js';

export type ThresholdOperator = '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';

export interface ThresholdRule {
  /** The expression exactly as written, e.g. `p(95) < 200`. */
  source: string;
  aggregation: Aggregation;
  operator: ThresholdOperator;
  value: number;
  abortOnFail: boolean;
  /** Abort only once the run is longer than this; 0 when not set (k6 then aborts at once). */
  delayAbortEvalMs: number;
}

export interface ThresholdSet {
  /** The metric name: the key up to its first `{`, untrimmed as k6 leaves it. */
  metric: string;
  filter: TagFilter;
  /** The key as written, e.g. 'http_req_duration{status:200}'. */
  key: string;
  rules: ThresholdRule[];
}

export class ThresholdsError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    super(`invalid thresholds (${count}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ThresholdsError';
    this.problems = problems;
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** Parses options.thresholds (unknown input straight from a script). Throws ThresholdsError with EVERY problem collected. */
export function parseThresholds(input: unknown): ThresholdSet[] {
  // k6 reads options through JSON, where an absent or null `thresholds` means none.
  if (input === undefined || input === null) return [];
  if (!isPlainObject(input)) {
    throw new ThresholdsError([
      `thresholds: must be an object of metric name to threshold list, got ${describe(input)}`,
    ]);
  }
  const problems: string[] = [];
  const sets: ThresholdSet[] = [];
  for (const [key, list] of Object.entries(input)) {
    if (list === undefined) continue; // JSON.stringify drops it before k6 ever sees it
    const path = `thresholds[${JSON.stringify(key)}]`;
    const name = parseMetricKey(key);
    if (typeof name === 'string') problems.push(`${path}: ${name}`);
    const rules = parseRuleList(list, path, problems);
    if (typeof name !== 'string' && rules) sets.push({ ...name, key, rules });
  }
  if (problems.length > 0) throw new ThresholdsError(problems);
  return sets;
}

function parseRuleList(list: unknown, path: string, problems: string[]): ThresholdRule[] | null {
  if (list === null) return []; // Go decodes a null slice as empty
  if (!Array.isArray(list)) {
    // k6 unmarshals the value into []thresholdConfig: a lone string is a JSON type error there.
    problems.push(`${path}: must be an array of thresholds, got ${describe(list)}`);
    return null;
  }
  const rules: ThresholdRule[] = [];
  list.forEach((entry, i) => {
    const rule = parseRule(entry, `${path}[${i}]`, problems);
    if (rule) rules.push(rule);
  });
  return rules;
}

const CONFIG_FIELDS = ['threshold', 'abortOnFail', 'delayAbortEval'] as const;

function parseRule(entry: unknown, path: string, problems: string[]): ThresholdRule | null {
  // A string or null is the short form; null leaves `threshold` empty, which k6 then rejects.
  if (typeof entry === 'string' || entry === null) entry = { threshold: entry };
  if (!isPlainObject(entry)) {
    problems.push(
      `${path}: must be a threshold string or { threshold, abortOnFail?, delayAbortEval? }, got ${describe(entry)}`,
    );
    return null;
  }
  // Go's encoding/json matches field names case-insensitively, so `abortonfail` counts too.
  const fields: Partial<Record<(typeof CONFIG_FIELDS)[number], unknown>> = {};
  for (const [name, value] of Object.entries(entry)) {
    const field = CONFIG_FIELDS.find((f) => f.toLowerCase() === name.toLowerCase());
    if (field) fields[field] = value;
  }
  const source = fields.threshold ?? '';
  if (typeof source !== 'string') {
    problems.push(`${path}.threshold: must be a string, got ${describe(source)}`);
    return null;
  }
  const named = `${path} ${JSON.stringify(source)}`;
  const expression = parseExpression(source);
  if (typeof expression === 'string') problems.push(`${path}: ${expression}`);
  const abortOnFail = fields.abortOnFail ?? false;
  if (typeof abortOnFail !== 'boolean') {
    problems.push(`${named}: abortOnFail must be a boolean, got ${describe(abortOnFail)}`);
  }
  const delay = fields.delayAbortEval ?? null;
  const delayAbortEvalMs = delay === null ? 0 : parseK6Duration(delay);
  if (delayAbortEvalMs === undefined) {
    problems.push(
      `${named}: delayAbortEval ${JSON.stringify(delay) ?? describe(delay)} is not a valid duration value (like "10s", "1m30s", "500ms")`,
    );
  }
  if (
    typeof expression === 'string' ||
    typeof abortOnFail !== 'boolean' ||
    delayAbortEvalMs === undefined
  ) {
    return null;
  }
  return { source, ...expression, abortOnFail, delayAbortEvalMs };
}

/**
 * k6 scans for operators as substrings in this order, so `<=` wins over `<` and `===` over
 * `==`; both sides are then trimmed, which is all the whitespace k6 tolerates (`p( 95 )` fails).
 */
const OPERATORS: readonly ThresholdOperator[] = ['<=', '<', '>=', '>', '===', '==', '!='];
const METHODS = ['value', 'count', 'rate', 'avg', 'min', 'med', 'max'] as const;

type Expression = Pick<ThresholdRule, 'aggregation' | 'operator' | 'value'>;

function parseExpression(text: string): Expression | string {
  const operator = OPERATORS.find((op) => text.includes(op));
  if (operator === undefined) {
    return `failed parsing threshold expression ${JSON.stringify(text)}; reason: malformed threshold expression`;
  }
  const at = text.indexOf(operator);
  const left = text.slice(0, at).trim();
  const right = text.slice(at + operator.length).trim();
  const aggregation = parseAggregation(left);
  if (typeof aggregation === 'string') {
    return `failed parsing threshold expression's ${JSON.stringify(text)} left hand side; reason: ${aggregation}`;
  }
  const value = parseGoFloat(right);
  if (value === undefined) {
    return `failed parsing threshold expression's ${JSON.stringify(text)} right hand side; reason: ${JSON.stringify(right)} is not a number`;
  }
  return { aggregation, operator, value };
}

/** `avg`, `p(95)`, … as an aggregation, or why it is none (thresholds and summaryTrendStats). */
export function parseAggregation(text: string): Aggregation | string {
  const method = METHODS.find((m) => m === text);
  if (method) return { kind: method };
  // A bare `p` is one of k6's method tokens; its percentile is then unset, read as 0: p(0).
  if (text === 'p') return { kind: 'p', percentile: 0 };
  if (!text.startsWith('p(') || !text.endsWith(')')) return 'failed parsing method from expression';
  const inner = text.slice(2, -1);
  const percentile = parseGoFloat(inner);
  if (percentile === undefined) return `malformed percentile value ${JSON.stringify(inner)}`;
  // Range check added by grafana/k6#6013: p(-1), p(101), p(NaN), p(+Inf) are rejected.
  if (!(percentile >= 0 && percentile <= 100)) {
    return `percentile value ${inner} must be between 0 and 100`;
  }
  return { kind: 'p', percentile };
}

/**
 * The values Go's strconv.ParseFloat accepts in decimal: sign, `1.`, `.5`, exponents, and
 * Inf/Infinity/NaN in any case. Hex floats (`0x1p-2`) are left out; out-of-range is an error.
 */
const GO_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const GO_SPECIAL = /^(?:[+-]?(?:inf|infinity)|nan)$/i;

function parseGoFloat(text: string): number | undefined {
  if (GO_SPECIAL.test(text)) {
    return text.toLowerCase() === 'nan' ? Number.NaN : text.startsWith('-') ? -Infinity : Infinity;
  }
  if (!GO_FLOAT.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Splits `name{tag:value,...}` as k6 does: the name is everything before the first `{` (not
 * trimmed, so `name {a:b}` names a metric that does not exist), the last `}` must end the key,
 * every tag needs a colon and a non-empty value; keys and values are then trimmed of spaces
 * and of surrounding `"`/`'`, and a value may itself hold colons (`url:http://x`).
 */
function parseMetricKey(key: string): { metric: string; filter: TagFilter } | string {
  const open = key.indexOf('{');
  const close = key.lastIndexOf('}');
  if (open === -1 && close === -1) return { metric: key, filter: {} };
  const failed = `parsing metric name failed, metric ${JSON.stringify(key)}`;
  if (open === -1 || close === -1) return `${failed} has unmatched opening/close curly brace`;
  if (close < open) return `${failed} closing curly brace appears before opening one`;
  if (close !== key.length - 1) return `${failed} lacks a closing curly brace in its last position`;
  const filter: Record<string, string> = {};
  for (const tag of key.slice(open + 1, close).split(',')) {
    const colon = tag.indexOf(':');
    if (colon === -1 || colon === tag.length - 1) {
      return `${failed}: tag expression ${JSON.stringify(tag)} is malformed (want tag:value)`;
    }
    filter[trimTag(tag.slice(0, colon))] = trimTag(tag.slice(colon + 1));
  }
  return { metric: key.slice(0, open), filter };
}

function trimTag(text: string): string {
  return text.trim().replace(/^["']+|["']+$/g, '');
}

// ---------------------------------------------------------------------------------------------
// delayAbortEval: k6's types.Duration, which is neither Go's nor Loadline's parseDuration

// ---------------------------------------------------------------------------------------------
// Type checks

const SUPPORTED: Record<MetricType, readonly string[]> = {
  counter: ['count', 'rate'],
  gauge: ['value'],
  rate: ['rate'],
  trend: ['avg', 'min', 'max', 'med', 'p'],
};

/** Checks each set against the metric's type once metrics are known (k6 rejects e.g. p(95) on a counter, or a metric that does not exist). Returns problems (empty when fine). */
export function checkThresholdTypes(
  sets: ThresholdSet[],
  typeOf: (metric: string) => MetricType | undefined,
): string[] {
  const problems: string[] = [];
  for (const set of sets) {
    const type = typeOf(set.metric);
    if (type === undefined) {
      // k6 names the whole key twice (metrics.Thresholds.Validate).
      problems.push(
        `invalid threshold defined on ${set.key}; reason: no metric name ${JSON.stringify(set.key)} found`,
      );
      continue;
    }
    for (const rule of set.rules) {
      const method = rule.aggregation.kind;
      if (SUPPORTED[type].includes(method)) continue;
      problems.push(
        `invalid threshold ${JSON.stringify(rule.source)} applied on metric ${set.key}; reason: ` +
          `unsupported aggregation method ${method} on metric of type ${type}. ` +
          `supported aggregation methods for this metric are: ${SUPPORTED[type].join(', ')}`,
      );
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

export interface ThresholdOutcome {
  key: string;
  source: string;
  ok: boolean;
  /** undefined when no data */
  observed: number | undefined;
  abortOnFail: boolean;
}

export interface ThresholdVerdict {
  outcomes: ThresholdOutcome[];
  passed: boolean;
  /** the first rule whose abortOnFail fired, honouring delayAbortEval against elapsedMs */
  abort: ThresholdOutcome | undefined;
}

/**
 * Evaluates every rule. A rule with nothing to read passes with `observed` undefined: during
 * the run that is every metric without samples (k6 skips empty sinks). At the end k6 evaluates
 * empty sinks too, and an empty sink reads as zeros: a counter's count and rate are 0, a
 * gauge's value is 0, and a trend's avg/min/max/med/p(N) are all 0, so `count>0` or `avg>0`
 * fail while `p(95)<200` passes. An empty rate metric still has nothing to read (k6 avoids the
 * 0/0, grafana/k6#2520) and passes. Abort is only judged during the run: k6 ignores it in the
 * final evaluation, where a failure is simply a failed run.
 */
export function evaluateThresholds(
  sets: ThresholdSet[],
  source: ThresholdSource,
  elapsedMs: number,
  final: boolean,
): ThresholdVerdict {
  const outcomes: ThresholdOutcome[] = [];
  let abort: ThresholdOutcome | undefined;
  for (const set of sets) {
    const type = source.typeOf(set.metric);
    for (const rule of set.rules) {
      const observed =
        source.aggregate(set.metric, set.filter, rule.aggregation, elapsedMs) ??
        (final ? emptySinkValue(type, rule.aggregation, elapsedMs) : undefined);
      const ok = observed === undefined || compare(observed, rule.operator, rule.value);
      const outcome = {
        key: set.key,
        source: rule.source,
        ok,
        observed,
        abortOnFail: rule.abortOnFail,
      };
      outcomes.push(outcome);
      // k6: abort when no delay was set, or the delay is strictly shorter than the run so far.
      if (!final && !ok && rule.abortOnFail && !abort && rule.delayAbortEvalMs < elapsedMs) {
        abort = outcome;
      }
    }
  }
  return { outcomes, passed: outcomes.every((o) => o.ok), abort };
}

/** What k6's sinks hold before their first sample (metrics/sink.go, thresholds.go Run). */
function emptySinkValue(
  type: MetricType | undefined,
  aggregation: Aggregation,
  elapsedMs: number,
): number | undefined {
  if (type === undefined || type === 'rate') return undefined;
  if (!SUPPORTED[type].includes(aggregation.kind)) return undefined;
  // A counter's rate is count / seconds, as k6 computes it even when the count is 0.
  if (type === 'counter' && aggregation.kind === 'rate') return 0 / (elapsedMs / 1000);
  return 0;
}

function compare(observed: number, operator: ThresholdOperator, value: number): boolean {
  switch (operator) {
    case '<':
      return observed < value;
    case '<=':
      return observed <= value;
    case '>':
      return observed > value;
    case '>=':
      return observed >= value;
    case '==':
    case '===': // both sides are numbers, so k6 treats strict and loose equality alike
      return observed === value;
    case '!=':
      return observed !== value;
  }
}

// ---------------------------------------------------------------------------------------------

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
