import { createLatencyHistogram, type Histogram, latencyAtPercentileMs } from '@loadline/histogram';
import {
  type Condition,
  compare,
  type MetricSelector,
  parseCondition,
  parseSelector,
} from '@loadline/scenario';
import type { StepTable } from './step-stats.js';

/** What thresholds and guardrails read: merged data for a selection of steps. */
export interface MetricSource {
  /** merged latency histogram (µs) of every response in the selection */
  histogram(selector: MetricSelector): Histogram;
  counts(selector: MetricSelector): {
    requests: number;
    errors: number;
    checks: number;
    checksFailed: number;
    iterations: number;
    dropped: number;
  };
  /** seconds the selection covers, for per-second rates */
  durationS: number;
}

export interface ThresholdResult {
  /** `latency{step:detail}: p(99)<300` */
  expression: string;
  passed: boolean;
  /** the measured value (ms for latency), or null when there was no data */
  value: number | null;
  /** true when a saturated generator measured it (an invalid run) */
  untrustworthy?: boolean;
}

/** The measured value a condition compares, or null when nothing was measured. */
export function measure(
  source: MetricSource,
  selector: MetricSelector,
  condition: Condition,
): number | null {
  const round = (v: number) => Math.round(v * 1e6) / 1e6;
  if (selector.metric === 'latency') {
    const histogram = source.histogram(selector);
    if (histogram.totalCount === 0) return null;
    switch (condition.aggregation) {
      case 'p':
        return latencyAtPercentileMs(histogram, condition.percentile ?? 50);
      case 'med':
        return latencyAtPercentileMs(histogram, 50);
      case 'avg':
        return round(histogram.mean / 1000);
      case 'min':
        return latencyAtPercentileMs(histogram, 0);
      case 'max':
        return latencyAtPercentileMs(histogram, 100);
    }
    return null;
  }
  const c = source.counts(selector);
  const perSecond = (n: number) => (source.durationS > 0 ? round(n / source.durationS) : null);
  switch (selector.metric) {
    case 'errors':
      if (condition.aggregation === 'count') return c.errors;
      return c.requests === 0 ? null : round(c.errors / c.requests);
    case 'requests':
      return condition.aggregation === 'count' ? c.requests : perSecond(c.requests);
    case 'iterations':
      return condition.aggregation === 'count' ? c.iterations : perSecond(c.iterations);
    case 'checks':
      // k6 semantics: the rate of checks that passed.
      if (condition.aggregation === 'count') return c.checksFailed;
      return c.checks === 0 ? null : round((c.checks - c.checksFailed) / c.checks);
    case 'dropped': {
      if (condition.aggregation === 'count') return c.dropped;
      const offered = c.iterations + c.dropped;
      return offered === 0 ? null : round(c.dropped / offered);
    }
  }
  return null;
}

/**
 * Evaluates k6-style thresholds on merged data. A threshold whose metric has no data
 * fails: a check that could not be made is not a pass.
 */
export function evaluateThresholds(
  thresholds: Record<string, string[]>,
  source: MetricSource,
): ThresholdResult[] {
  const results: ThresholdResult[] = [];
  for (const [selectorText, conditions] of Object.entries(thresholds)) {
    const selector = parseSelector(selectorText);
    if (typeof selector === 'string') throw new Error(selector);
    for (const text of conditions) {
      const condition = parseCondition(selector.metric, text);
      if (typeof condition === 'string') throw new Error(condition);
      const value = measure(source, selector, condition);
      results.push({
        expression: `${selectorText}: ${condition.source}`,
        passed: value !== null && compare(value, condition.comparison, condition.value),
        value,
      });
    }
  }
  return results;
}

/** A MetricSource over a runner's StepTable (a local run, or one agent's share). */
export function stepTableSource(
  table: StepTable,
  stepsOfFlow: Record<string, string[]>,
  durationS: number,
): MetricSource {
  const matches = (selector: MetricSelector, step: string, statusClass: string): boolean => {
    if (step === '') return false;
    if (selector.tags.step !== undefined && selector.tags.step !== step) return false;
    if (
      selector.tags.flow !== undefined &&
      !(stepsOfFlow[selector.tags.flow] ?? []).includes(step)
    ) {
      return false;
    }
    if (selector.tags.status !== undefined && selector.tags.status !== statusClass) return false;
    return true;
  };
  return {
    durationS,
    histogram(selector) {
      const merged = createLatencyHistogram();
      for (const [key, cell] of table.cells) {
        const [step, statusClass] = key.split('\u0000') as [string, string];
        if (matches(selector, step, statusClass)) merged.add(cell.histogram);
      }
      return merged;
    },
    counts(selector) {
      const out = { requests: 0, errors: 0, checks: 0, checksFailed: 0, iterations: 0, dropped: 0 };
      for (const [key, cell] of table.cells) {
        const [step, statusClass] = key.split('\u0000') as [string, string];
        if (!matches(selector, step, statusClass)) continue;
        out.requests += cell.requests;
        out.errors += cell.errors;
        out.checks += cell.checks;
        out.checksFailed += cell.checksFailed;
      }
      const started = table.counters.iterationsStarted;
      out.iterations =
        selector.tags.flow !== undefined
          ? (started.get(selector.tags.flow) ?? 0)
          : [...started.values()].reduce((a, b) => a + b, 0);
      out.dropped = table.counters.dropped;
      return out;
    },
  };
}
