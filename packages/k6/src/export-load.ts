/**
 * The load model and the pass/fail rules of exportK6: one k6 scenario per flow with its
 * share of the load, and k6 thresholds from the scenario's thresholds and guardrails.
 */
import {
  type Condition,
  DEFAULT_MAX_IN_FLIGHT,
  type Flow,
  type MetricSelector,
  parseCondition,
  parseSelector,
  type Scenario,
} from '@loadline/scenario';
import { COUNTERS, durationMs, k6Duration } from './export-js.js';

/** Something k6 cannot express, at its path in the scenario (as zod paths are). */
export interface K6ExportProblem {
  path: Array<string | number>;
  message: string;
}

/** Request time assumed when sizing preAllocatedVUs (k6 adds VUs up to maxVUs past it). */
const ASSUMED_REQUEST_S = 0.1;
/** timeUnits tried, shortest first, for integer k6 rates (k6's rates are whole numbers). */
const TIME_UNITS_MS = [1000, 60_000, 3_600_000];

export interface ScenarioNames {
  scenario: string[];
  exec: string[];
}

/** k6 scenario names ([A-Za-z0-9_-]) and exec function names, unique. */
export function scenarioNames(flows: Flow[]): ScenarioNames {
  const unique = (names: string[]) => {
    const seen = new Set<string>();
    return names.map((name) => {
      let candidate = name;
      for (let n = 2; seen.has(candidate); n++) candidate = `${name}_${n}`;
      seen.add(candidate);
      return candidate;
    });
  };
  return {
    scenario: unique(flows.map((f) => f.name.replace(/[^A-Za-z0-9_-]/g, '_'))),
    exec: unique(flows.map((f) => `flow_${f.name.replace(/[^A-Za-z0-9_]/g, '_')}`)),
  };
}

/** Rates as whole numbers per a common timeUnit (exact when one of TIME_UNITS_MS allows). */
function wholeRates(perSecond: number[]): { timeUnit: string; rates: number[]; exact: boolean } {
  for (const unit of TIME_UNITS_MS) {
    const scaled = perSecond.map((r) => (r * unit) / 1000);
    if (scaled.every((v) => Math.abs(v - Math.round(v)) < 1e-6 * Math.max(1, v))) {
      return { timeUnit: k6Duration(unit), rates: scaled.map(Math.round), exact: true };
    }
  }
  const unit = TIME_UNITS_MS[TIME_UNITS_MS.length - 1] as number;
  return {
    timeUnit: k6Duration(unit),
    rates: perSecond.map((r) => Math.round((r * unit) / 1000)),
    exact: false,
  };
}

/** Seconds one iteration of the flow takes, for sizing VUs: think times and requests. */
function iterationSeconds(flow: Flow): number {
  const think = flow.steps.slice(0, -1).reduce((s, step) => s + durationMs(step.think ?? '0'), 0);
  return think / 1000 + flow.steps.length * ASSUMED_REQUEST_S;
}

/** VUs by weight, largest remainders first; a flow left with none is a problem. */
function splitVus(vus: number, weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (vus * w) / total);
  const out = exact.map(Math.floor);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0]);
  for (let left = vus - out.reduce((a, b) => a + b, 0), k = 0; left > 0; left--, k++) {
    const i = (order[k] as readonly [number, number])[1];
    out[i] = (out[i] as number) + 1;
  }
  return out;
}

export function scenarios(
  scenario: Scenario,
  names: ScenarioNames,
  problems: K6ExportProblem[],
  warnings: string[],
): Record<string, unknown> {
  const load = scenario.load as NonNullable<Scenario['load']>;
  const flows = scenario.flows;
  const weights = flows.map((f) => f.weight);
  const total = weights.reduce((a, b) => a + b, 0);
  const common = (flow: Flow, i: number) => ({
    exec: names.exec[i],
    gracefulStop: '10s',
    tags: { flow: flow.name },
  });
  const out: Record<string, unknown> = {};
  if (load.vus !== undefined) {
    const vus = splitVus(load.vus, weights);
    const empty = flows.filter((_, i) => vus[i] === 0).map((f) => f.name);
    if (empty.length > 0) {
      problems.push({
        path: ['load', 'vus'],
        message: `${load.vus} VU(s) split by weight leave flow(s) ${empty.join(', ')} with none (k6 gives each flow VUs of its own); give at least one VU per flow`,
      });
    }
    if (flows.length > 1) {
      warnings.push(
        "closed model: k6 gives each flow its own VUs (split by weight); Loadline's VUs pick a flow by weight each iteration, so flows of different lengths see a different iteration mix",
      );
    }
    flows.forEach((flow, i) => {
      out[names.scenario[i] as string] = {
        executor: 'constant-vus',
        ...common(flow, i),
        vus: vus[i],
        duration: k6Duration(durationMs(load.duration as string)),
      };
    });
    return out;
  }
  const stages = (load.stages ?? []).map((s) => ({ ms: durationMs(s.duration), target: s.target }));
  const maxInFlight = load.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  flows.forEach((flow, i) => {
    const share = flow.weight / total;
    const values =
      load.rate !== undefined
        ? [load.rate * share]
        : [(load.startRate ?? 0) * share, ...stages.map((s) => s.target * share)];
    const { timeUnit, rates, exact } = wholeRates(values);
    if (!exact) {
      warnings.push(
        `flow ${flow.name}: its rates (${values.map((v) => `${+v.toFixed(6)}/s`).join(', ')}) are rounded to whole arrivals per ${timeUnit}`,
      );
    }
    const maxVUs = Math.max(1, Math.ceil(maxInFlight * share));
    const peak = Math.max(...values);
    const preAllocatedVUs = Math.min(
      maxVUs,
      Math.max(1, Math.ceil(2 * peak * iterationSeconds(flow))),
    );
    const vus = { preAllocatedVUs, maxVUs };
    out[names.scenario[i] as string] =
      load.rate !== undefined
        ? {
            executor: 'constant-arrival-rate',
            ...common(flow, i),
            rate: Math.max(1, rates[0] as number),
            timeUnit,
            duration: k6Duration(durationMs(load.duration as string)),
            ...vus,
          }
        : {
            executor: 'ramping-arrival-rate',
            ...common(flow, i),
            startRate: rates[0],
            timeUnit,
            stages: stages.map((s, k) => ({ duration: k6Duration(s.ms), target: rates[k + 1] })),
            ...vus,
          };
  });
  return out;
}

// ---- thresholds and guardrails ----------------------------------------------------------

const NEGATED = { '<': '>=', '<=': '>', '>': '<=', '>=': '<', '==': '!=', '!=': '==' } as const;

/** Why k6 cannot express a threshold or guardrail. */
class Refusal {
  constructor(readonly why: string) {}
}

/** The k6 metric key of a Loadline selector and aggregation, or why there is none. */
function k6Key(
  selector: MetricSelector,
  condition: Condition,
  counters: Set<string>,
): string | Refusal {
  const { status, agent, step, flow } = selector.tags;
  if (status !== undefined) {
    return new Refusal(
      `k6 cannot select a status class ({status:${status}}): its status tag is the exact code, known only after the request`,
    );
  }
  if (agent !== undefined) {
    return new Refusal(`a k6 script runs as one instance: there is no agent ${agent}`);
  }
  const tags = (withStep: boolean) => {
    const list = [
      ...(withStep && step !== undefined ? [`name:${step}`] : []),
      ...(flow !== undefined ? [`flow:${flow}`] : []),
    ];
    return list.length > 0 ? `{${list.join(',')}}` : '';
  };
  const count = condition.aggregation === 'count';
  switch (selector.metric) {
    case 'latency':
      return `http_req_duration${tags(true)}`;
    case 'errors':
      if (count) counters.add('errors');
      return `${count ? COUNTERS.errors : 'http_req_failed'}${tags(true)}`;
    case 'requests':
      return `http_reqs${tags(true)}`;
    case 'checks':
      if (count) counters.add('checksFailed');
      return `${count ? COUNTERS.checksFailed : 'checks'}${tags(true)}`;
    case 'iterations':
      // Loadline counts iterations per flow; a step tag does not narrow them.
      return `iterations${tags(false)}`;
    case 'dropped':
      if (!count) {
        return new Refusal(
          "k6's dropped_iterations has no share of arrivals (Loadline's dropped rate); use count",
        );
      }
      // Loadline's dropped count is the whole run's, whatever the tags.
      return 'dropped_iterations';
  }
}

const conditionText = (c: Condition, comparison = c.comparison) =>
  `${c.aggregation === 'p' ? `p(${c.percentile})` : c.aggregation}${comparison}${c.value}`;

export function thresholds(
  scenario: Scenario,
  counters: Set<string>,
  problems: K6ExportProblem[],
  warnings: string[],
): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  const add = (k6: string | Refusal, rule: unknown, path: Array<string | number>) => {
    if (k6 instanceof Refusal) problems.push({ path, message: k6.why });
    else out[k6] = [...(out[k6] ?? []), rule];
  };
  for (const [text, conditions] of Object.entries(scenario.thresholds)) {
    const selector = parseSelector(text) as MetricSelector;
    conditions.forEach((written, i) => {
      const condition = parseCondition(selector.metric, written) as Condition;
      add(k6Key(selector, condition, counters), conditionText(condition), ['thresholds', text, i]);
    });
  }
  scenario.guardrails.forEach((guardrail, g) => {
    const { metric, for: forText, step, ...rest } = guardrail;
    const [aggregation, comparison] = Object.entries(rest)[0] as [string, string];
    const condition = parseCondition(metric, `${aggregation}${comparison}`) as Condition;
    const selector: MetricSelector = { metric, tags: step === undefined ? {} : { step } };
    const rule = {
      threshold: conditionText(condition, NEGATED[condition.comparison]),
      abortOnFail: true,
      delayAbortEval: k6Duration(durationMs(forText)),
    };
    add(k6Key(selector, condition, counters), rule, ['guardrails', g]);
  });
  if (scenario.guardrails.length > 0) {
    warnings.push(
      'guardrails become thresholds with abortOnFail: k6 judges them on the run so far (not second by second), first after their `for`, and a tripped one fails the run with exit 99',
    );
  }
  return out;
}
