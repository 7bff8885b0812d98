import type { Guardrail } from '@loadline/scenario';
import { compare, parseCondition, parseDuration, parseSelector } from '@loadline/scenario';
import { type MetricSource, measure } from './thresholds.js';

export interface GuardrailTrip {
  guardrail: string;
  value: number;
  heldForS: number;
}

interface Watched {
  text: string;
  selector: Exclude<ReturnType<typeof parseSelector>, string>;
  condition: Exclude<ReturnType<typeof parseCondition>, string>;
  forMs: number;
  since: number | undefined;
  /** the value on the last interval, null when it had no data */
  last: number | null;
}

/** Where a guardrail stands now: for a live view's "armed / holding for 3 of 5 s". */
export interface GuardrailState {
  guardrail: string;
  value: number | null;
  /** seconds the condition has held so far (0 when it does not hold) */
  holdingForS: number;
  forS: number;
}

/**
 * Abort conditions checked every interval: a guardrail trips when its condition has held
 * on every interval for at least `for` (e.g. errors rate > 0.2 for 5 s).
 */
export class GuardrailMonitor {
  readonly #watched: Watched[];

  constructor(guardrails: Guardrail[]) {
    this.#watched = guardrails.map((guardrail) => {
      const { metric, for: forText, step, ...rest } = guardrail;
      const [aggregation, comparison] = Object.entries(rest)[0] as [string, string];
      const selector = parseSelector(step === undefined ? metric : `${metric}{step:${step}}`);
      const condition = parseCondition(metric, `${aggregation}${comparison}`);
      if (typeof selector === 'string') throw new Error(selector);
      if (typeof condition === 'string') throw new Error(condition);
      return {
        text: `${selector.metric}${step === undefined ? '' : `{step:${step}}`} ${condition.source} for ${forText}`,
        selector,
        condition,
        forMs: parseDuration(forText) ?? 0,
        since: undefined,
        last: null,
      };
    });
  }

  /** Feeds one interval (ending at `nowMs`); returns the first guardrail that tripped. */
  observe(interval: MetricSource, nowMs: number, intervalMs: number): GuardrailTrip | undefined {
    for (const watched of this.#watched) {
      const value = measure(interval, watched.selector, watched.condition);
      watched.last = value;
      const holds =
        value !== null && compare(value, watched.condition.comparison, watched.condition.value);
      if (!holds) {
        watched.since = undefined;
        continue;
      }
      watched.since ??= nowMs - intervalMs;
      const heldMs = nowMs - watched.since;
      if (heldMs >= watched.forMs) {
        return { guardrail: watched.text, value: value as number, heldForS: heldMs / 1000 };
      }
    }
    return undefined;
  }

  /** Every guardrail's last value and how long its condition has held, as of `nowMs`. */
  state(nowMs: number): GuardrailState[] {
    return this.#watched.map((w) => ({
      guardrail: w.text,
      value: w.last,
      holdingForS: w.since === undefined ? 0 : Math.max(0, (nowMs - w.since) / 1000),
      forS: w.forMs / 1000,
    }));
  }
}
