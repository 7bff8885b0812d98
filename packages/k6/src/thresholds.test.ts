import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Aggregation, MetricType, TagFilter, ThresholdSource } from './metric-types.js';
import {
  checkThresholdTypes,
  evaluateThresholds,
  parseThresholds,
  type ThresholdSet,
  ThresholdsError,
} from './thresholds.js';

interface Sample {
  value: number;
  tags?: Record<string, string>;
}

/** A registry of typed metrics and raw samples, aggregated the way k6's sinks do. */
function fakeSource(metrics: Record<string, { type: MetricType; samples: Sample[] }>) {
  const source: ThresholdSource = {
    typeOf: (metric) => metrics[metric]?.type,
    aggregate(metric, filter: TagFilter, aggregation: Aggregation, elapsedMs) {
      const entry = metrics[metric];
      if (!entry) return undefined;
      const values = entry.samples
        .filter((s) => Object.entries(filter).every(([k, v]) => s.tags?.[k] === v))
        .map((s) => s.value);
      if (values.length === 0) return undefined;
      const sum = values.reduce((a, b) => a + b, 0);
      const sorted = [...values].sort((a, b) => a - b);
      const percentile = (p: number) => {
        const i = (p / 100) * (sorted.length - 1);
        const lo = sorted[Math.floor(i)] as number;
        const hi = sorted[Math.ceil(i)] as number;
        return lo + (hi - lo) * (i - Math.floor(i));
      };
      switch (entry.type) {
        case 'counter':
          return aggregation.kind === 'count' ? sum : sum / (elapsedMs / 1000);
        case 'gauge':
          return values[values.length - 1];
        case 'rate':
          return values.filter((v) => v !== 0).length / values.length;
        case 'trend':
          switch (aggregation.kind) {
            case 'avg':
              return sum / values.length;
            case 'min':
              return sorted[0];
            case 'max':
              return sorted[sorted.length - 1];
            case 'med':
              return percentile(50);
            case 'p':
              return percentile(aggregation.percentile);
            default:
              return undefined;
          }
      }
    },
  };
  return source;
}

function problemsOf(input: unknown): string[] {
  try {
    parseThresholds(input);
  } catch (error) {
    assert.ok(error instanceof ThresholdsError);
    return error.problems;
  }
  assert.fail('expected a ThresholdsError');
}

const rule = (set: ThresholdSet | undefined, i = 0) => set?.rules[i];

describe('parseThresholds', () => {
  it('reads strings and objects, in the order written', () => {
    const sets = parseThresholds({
      http_req_duration: ['p(95)<200', { threshold: 'avg<100', abortOnFail: true }],
      checks: [{ threshold: 'rate>0.99', abortOnFail: true, delayAbortEval: '10s' }],
    });
    assert.deepEqual(sets, [
      {
        metric: 'http_req_duration',
        filter: {},
        key: 'http_req_duration',
        rules: [
          {
            source: 'p(95)<200',
            aggregation: { kind: 'p', percentile: 95 },
            operator: '<',
            value: 200,
            abortOnFail: false,
            delayAbortEvalMs: 0,
          },
          {
            source: 'avg<100',
            aggregation: { kind: 'avg' },
            operator: '<',
            value: 100,
            abortOnFail: true,
            delayAbortEvalMs: 0,
          },
        ],
      },
      {
        metric: 'checks',
        filter: {},
        key: 'checks',
        rules: [
          {
            source: 'rate>0.99',
            aggregation: { kind: 'rate' },
            operator: '>',
            value: 0.99,
            abortOnFail: true,
            delayAbortEvalMs: 10_000,
          },
        ],
      },
    ]);
  });

  it('reads every aggregation, including decimal percentiles and the bare p token', () => {
    const [set] = parseThresholds({
      m: ['avg<1', 'min<1', 'max<1', 'med<1', 'count<1', 'rate<1', 'value<1', 'p(99.9)<1', 'p<1'],
    });
    assert.deepEqual(
      set?.rules.map((r) => r.aggregation),
      [
        { kind: 'avg' },
        { kind: 'min' },
        { kind: 'max' },
        { kind: 'med' },
        { kind: 'count' },
        { kind: 'rate' },
        { kind: 'value' },
        { kind: 'p', percentile: 99.9 },
        // k6 lists `p` among its method tokens; with no value it is p(0).
        { kind: 'p', percentile: 0 },
      ],
    );
  });

  it('reads every operator, the longest match first', () => {
    const [set] = parseThresholds({
      m: ['avg<1', 'avg<=1', 'avg>1', 'avg>=1', 'avg==1', 'avg===1', 'avg!=1'],
    });
    assert.deepEqual(
      set?.rules.map((r) => r.operator),
      ['<', '<=', '>', '>=', '==', '===', '!='],
    );
  });

  it('tolerates whitespace around the operator, and reads values as Go floats', () => {
    const [set] = parseThresholds({
      m: ['  p(95)   <   200  ', 'avg>=-1.5', 'count>1e3', 'avg<.5', 'avg<Inf'],
    });
    assert.equal(rule(set)?.source, '  p(95)   <   200  ');
    assert.deepEqual(
      set?.rules.map((r) => r.value),
      [200, -1.5, 1000, 0.5, Infinity],
    );
  });

  it('splits tag filters as k6 does', () => {
    const sets = parseThresholds({
      'http_req_duration{status:200}': ['p(95)<200'],
      "http_req_duration{ status : 200 , scenario:\"browse\", 'name':'a b'}": ['p(95)<200'],
      'http_reqs{url:http://x:8080/a,status:201,status:500}': ['count>0'],
      'checks{check: }': ['rate>0'],
      'http_req_duration {status:200}': ['avg<1'],
    });
    assert.deepEqual(
      sets.map((s) => [s.metric, s.filter]),
      [
        ['http_req_duration', { status: '200' }],
        ['http_req_duration', { status: '200', scenario: 'browse', name: 'a b' }],
        // A value keeps its colons; a repeated tag keeps its last value.
        ['http_reqs', { url: 'http://x:8080/a', status: '500' }],
        ['checks', { check: '' }],
        // k6 does not trim the name: this key names a metric that does not exist.
        ['http_req_duration ', { status: '200' }],
      ],
    );
    assert.equal(sets[0]?.key, 'http_req_duration{status:200}');
  });

  it('reads delayAbortEval as k6 durations', () => {
    const delays = ['10s', '1m30s', '500ms', '1.5s', '1h', '300us', '1d12h', '2500', 2500, null];
    const [set] = parseThresholds({
      m: delays.map((delayAbortEval) => ({
        threshold: 'avg<1',
        abortOnFail: true,
        delayAbortEval,
      })),
    });
    assert.deepEqual(
      set?.rules.map((r) => r.delayAbortEvalMs),
      // A bare number, even as a string, is milliseconds, unlike Loadline's parseDuration.
      [10_000, 90_000, 500, 1500, 3_600_000, 0.3, 129_600_000, 2500, 2500, 0],
    );
  });

  it('matches config fields case-insensitively, like Go encoding/json', () => {
    const [set] = parseThresholds({ m: [{ Threshold: 'avg<1', abortonfail: true }] });
    assert.equal(rule(set)?.source, 'avg<1');
    assert.equal(rule(set)?.abortOnFail, true);
  });

  it('treats absent thresholds as none and a null list as empty', () => {
    assert.deepEqual(parseThresholds(undefined), []);
    assert.deepEqual(parseThresholds(null), []);
    assert.deepEqual(parseThresholds({ checks: null, gone: undefined }), [
      { metric: 'checks', filter: {}, key: 'checks', rules: [] },
    ]);
  });

  it('collects every problem into one error, each naming key and expression', () => {
    const problems = problemsOf({
      http_req_duration: [
        'p(95)<200',
        'p95<200',
        'avg=>100',
        'avg<abc',
        'p(101)<5',
        'p( 95 )<5',
        { threshold: 'avg<1', abortOnFail: 'yes', delayAbortEval: '10x' },
        42,
      ],
      checks: 'rate>0.9',
      'http_reqs{status:200': ['count>1'],
      'http_reqs{status}': ['count>1'],
      'http_reqs{a:b}x': ['count>1'],
      'errors{a:b,}': ['count<huh'],
    });
    const key = 'thresholds["http_req_duration"]';
    assert.deepEqual(problems, [
      `${key}[1]: failed parsing threshold expression's "p95<200" left hand side; reason: failed parsing method from expression`,
      // k6 scans for `>` before `=`-forms, leaving "avg=" on the left.
      `${key}[2]: failed parsing threshold expression's "avg=>100" left hand side; reason: failed parsing method from expression`,
      `${key}[3]: failed parsing threshold expression's "avg<abc" right hand side; reason: "abc" is not a number`,
      `${key}[4]: failed parsing threshold expression's "p(101)<5" left hand side; reason: percentile value 101 must be between 0 and 100`,
      `${key}[5]: failed parsing threshold expression's "p( 95 )<5" left hand side; reason: malformed percentile value " 95 "`,
      `${key}[6] "avg<1": abortOnFail must be a boolean, got string`,
      `${key}[6] "avg<1": delayAbortEval "10x" is not a valid duration value (like "10s", "1m30s", "500ms")`,
      `${key}[7]: must be a threshold string or { threshold, abortOnFail?, delayAbortEval? }, got number`,
      'thresholds["checks"]: must be an array of thresholds, got string',
      'thresholds["http_reqs{status:200"]: parsing metric name failed, metric "http_reqs{status:200" has unmatched opening/close curly brace',
      'thresholds["http_reqs{status}"]: parsing metric name failed, metric "http_reqs{status}": tag expression "status" is malformed (want tag:value)',
      'thresholds["http_reqs{a:b}x"]: parsing metric name failed, metric "http_reqs{a:b}x" lacks a closing curly brace in its last position',
      'thresholds["errors{a:b,}"]: parsing metric name failed, metric "errors{a:b,}": tag expression "" is malformed (want tag:value)',
      `thresholds["errors{a:b,}"][0]: failed parsing threshold expression's "count<huh" right hand side; reason: "huh" is not a number`,
    ]);
  });

  it('rejects a missing operator, an empty threshold, and non-object input', () => {
    assert.deepEqual(problemsOf({ m: ['count!20', null] }), [
      'thresholds["m"][0]: failed parsing threshold expression "count!20"; reason: malformed threshold expression',
      'thresholds["m"][1]: failed parsing threshold expression ""; reason: malformed threshold expression',
    ]);
    assert.deepEqual(problemsOf(['p(95)<200']), [
      'thresholds: must be an object of metric name to threshold list, got array',
    ]);
    const error = (() => {
      try {
        parseThresholds({ m: ['x<1', 'y<1'] });
      } catch (e) {
        return e as Error;
      }
    })();
    assert.match(
      error?.message ?? '',
      /^invalid thresholds \(2 problems\):\n {2}- .*"x<1".*\n {2}- .*"y<1"/,
    );
  });
});

describe('checkThresholdTypes', () => {
  const types: Record<string, MetricType> = {
    http_req_duration: 'trend',
    http_reqs: 'counter',
    vus: 'gauge',
    checks: 'rate',
  };
  const typeOf = (metric: string) => types[metric];

  it('accepts each type with its own aggregations', () => {
    const sets = parseThresholds({
      'http_req_duration{status:200}': ['avg<1', 'min<1', 'max<1', 'med<1', 'p(90)<1', 'p<1'],
      http_reqs: ['count>1', 'rate>1'],
      vus: ['value<10'],
      checks: ['rate>0.9'],
    });
    assert.deepEqual(checkThresholdTypes(sets, typeOf), []);
  });

  it("reports unknown metrics and unsupported aggregations in k6's words, all of them", () => {
    const sets = parseThresholds({
      htp_req_duration: ['p(95)<200'],
      'htp_req_duration{status:200}': ['p(95)<200'],
      http_reqs: ['p(95)<200', 'count>1', 'avg<1'],
      vus: ['min>1', 'max<1'],
      checks: ['count>1'],
      http_req_duration: ['value<1', 'rate<1'],
    });
    assert.deepEqual(checkThresholdTypes(sets, typeOf), [
      'invalid threshold defined on htp_req_duration; reason: no metric name "htp_req_duration" found',
      'invalid threshold defined on htp_req_duration{status:200}; reason: no metric name "htp_req_duration{status:200}" found',
      'invalid threshold "p(95)<200" applied on metric http_reqs; reason: unsupported aggregation method p on metric of type counter. supported aggregation methods for this metric are: count, rate',
      'invalid threshold "avg<1" applied on metric http_reqs; reason: unsupported aggregation method avg on metric of type counter. supported aggregation methods for this metric are: count, rate',
      // A gauge offers only its last value to thresholds, though the summary shows min and max.
      'invalid threshold "min>1" applied on metric vus; reason: unsupported aggregation method min on metric of type gauge. supported aggregation methods for this metric are: value',
      'invalid threshold "max<1" applied on metric vus; reason: unsupported aggregation method max on metric of type gauge. supported aggregation methods for this metric are: value',
      'invalid threshold "count>1" applied on metric checks; reason: unsupported aggregation method count on metric of type rate. supported aggregation methods for this metric are: rate',
      'invalid threshold "value<1" applied on metric http_req_duration; reason: unsupported aggregation method value on metric of type trend. supported aggregation methods for this metric are: avg, min, max, med, p',
      'invalid threshold "rate<1" applied on metric http_req_duration; reason: unsupported aggregation method rate on metric of type trend. supported aggregation methods for this metric are: avg, min, max, med, p',
    ]);
  });
});

describe('evaluateThresholds', () => {
  const durations = [100, 200, 300, 400, 1000].map((value) => ({
    value,
    tags: { status: value === 1000 ? '500' : '200' },
  }));
  const source = fakeSource({
    http_req_duration: { type: 'trend', samples: durations },
    http_reqs: { type: 'counter', samples: [{ value: 30 }, { value: 10 }] },
    vus: { type: 'gauge', samples: [{ value: 7 }, { value: 3 }] },
    checks: { type: 'rate', samples: [{ value: 1 }, { value: 1 }, { value: 1 }, { value: 0 }] },
    errors: { type: 'counter', samples: [] },
    waiting: { type: 'trend', samples: [] },
    queue: { type: 'gauge', samples: [] },
    failures: { type: 'rate', samples: [] },
  });
  const observed = (thresholds: Record<string, string[]>, elapsedMs = 20_000, final = false) =>
    evaluateThresholds(parseThresholds(thresholds), source, elapsedMs, final).outcomes.map((o) =>
      o.observed === undefined ? undefined : Math.round(o.observed * 1000) / 1000,
    );

  it('reads every aggregation from the source', () => {
    assert.deepEqual(
      observed({
        http_req_duration: ['avg<0', 'min<0', 'max<0', 'med<0', 'p(90)<0', 'p(99.9)<0', 'p<0'],
        'http_req_duration{status:200}': ['max<0', 'p(50)<0'],
        http_reqs: ['count<0', 'rate<0'],
        vus: ['value<0'],
        checks: ['rate<0'],
      }),
      // p(90) of 5 samples: index 3.6, between 400 and 1000 (p(99.9): 3.996); a counter's rate is per second.
      [400, 100, 1000, 300, 760, 997.6, 100, 400, 250, 40, 2, 3, 0.75],
    );
  });

  it('applies every operator, including at the boundary', () => {
    const verdict = evaluateThresholds(
      parseThresholds({
        vus: ['value<3', 'value<=3', 'value>3', 'value>=3', 'value==3', 'value===3', 'value!=3'],
        http_reqs: ['count<41', 'count>39', 'count!=40'],
      }),
      source,
      20_000,
      false,
    );
    assert.deepEqual(
      verdict.outcomes.map((o) => [o.source, o.ok]),
      [
        ['value<3', false],
        ['value<=3', true],
        ['value>3', false],
        ['value>=3', true],
        ['value==3', true],
        ['value===3', true],
        ['value!=3', false],
        ['count<41', true],
        ['count>39', true],
        ['count!=40', false],
      ],
    );
    assert.equal(verdict.passed, false);
    assert.equal(verdict.abort, undefined);
  });

  it('passes when every rule holds', () => {
    const sets = parseThresholds({ http_req_duration: ['p(95)<2000'], checks: ['rate>0.5'] });
    assert.equal(evaluateThresholds(sets, source, 20_000, false).passed, true);
  });

  it('skips metrics and submetrics without samples during the run', () => {
    const verdict = evaluateThresholds(
      parseThresholds({
        errors: ['count>=1'],
        waiting: ['avg>10'],
        queue: ['value>0'],
        failures: ['rate>0.5'],
        'http_req_duration{status:404}': ['p(95)>5000'],
      }),
      source,
      20_000,
      false,
    );
    assert.ok(verdict.outcomes.every((o) => o.ok && o.observed === undefined));
    assert.equal(verdict.passed, true);
  });

  it('at the end reads empty counters, gauges and trends as zeros, empty rates as no data', () => {
    const verdict = evaluateThresholds(
      parseThresholds({
        errors: ['count>=1', 'count<10', 'rate<1'],
        waiting: ['p(95)<200', 'avg>0', 'min==0', 'max<1', 'med<1'],
        queue: ['value>0'],
        failures: ['rate>0.5'],
        'http_req_duration{status:404}': ['p(95)<200', 'avg>0'],
      }),
      source,
      20_000,
      true,
    );
    assert.deepEqual(
      verdict.outcomes.map((o) => [o.source, o.ok, o.observed]),
      [
        ['count>=1', false, 0],
        ['count<10', true, 0],
        ['rate<1', true, 0],
        ['p(95)<200', true, 0],
        ['avg>0', false, 0],
        ['min==0', true, 0],
        ['max<1', true, 0],
        ['med<1', true, 0],
        ['value>0', false, 0],
        ['rate>0.5', true, undefined],
        ['p(95)<200', true, 0],
        ['avg>0', false, 0],
      ],
    );
    assert.equal(verdict.passed, false);
  });

  it('aborts on a failed abortOnFail rule at once when no delay is set', () => {
    const sets = parseThresholds({
      checks: [{ threshold: 'rate>0.9', abortOnFail: true }],
    });
    const verdict = evaluateThresholds(sets, source, 2000, false);
    assert.equal(verdict.abort?.source, 'rate>0.9');
    assert.equal(verdict.abort?.observed, 0.75);
    assert.equal(verdict.abort?.abortOnFail, true);
  });

  it('waits until the run is strictly longer than delayAbortEval', () => {
    const sets = parseThresholds({
      checks: [{ threshold: 'rate>0.9', abortOnFail: true, delayAbortEval: '10s' }],
    });
    assert.equal(evaluateThresholds(sets, source, 9_000, false).abort, undefined);
    assert.equal(evaluateThresholds(sets, source, 10_000, false).abort, undefined);
    assert.equal(evaluateThresholds(sets, source, 10_001, false).abort?.source, 'rate>0.9');
    // Failing before the delay still fails the verdict; it just does not stop the run.
    assert.equal(evaluateThresholds(sets, source, 9_000, false).passed, false);
  });

  it('reports the first firing abort, and none for passing or plain rules', () => {
    const sets = parseThresholds({
      http_req_duration: [
        { threshold: 'avg<1000', abortOnFail: true },
        'max<10',
        { threshold: 'p(95)<100', abortOnFail: true, delayAbortEval: '1m' },
        { threshold: 'med<100', abortOnFail: true },
      ],
      checks: [{ threshold: 'rate>0.9', abortOnFail: true }],
    });
    assert.equal(evaluateThresholds(sets, source, 20_000, false).abort?.source, 'med<100');
    assert.equal(evaluateThresholds(sets, source, 120_000, false).abort?.source, 'p(95)<100');
  });

  it('never aborts in the final evaluation', () => {
    const sets = parseThresholds({ checks: [{ threshold: 'rate>0.9', abortOnFail: true }] });
    const verdict = evaluateThresholds(sets, source, 60_000, true);
    assert.equal(verdict.passed, false);
    assert.equal(verdict.abort, undefined);
  });
});
