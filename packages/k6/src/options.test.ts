import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_USER_AGENT,
  type ExecutorConfig,
  OptionsError,
  parseK6Duration,
  parseOptions,
  scenarioDurationMs,
  testDurationMs,
  vusOf,
} from './options.js';
import { shareOf } from './segments.js';

const base = { startTime: 0, gracefulStop: 30_000, exec: 'default', env: {}, tags: {} };

function problemsOf(input: unknown, overrides?: Parameters<typeof parseOptions>[1]): string[] {
  try {
    parseOptions(input, overrides);
  } catch (error) {
    assert.ok(error instanceof OptionsError, `expected OptionsError, got ${error}`);
    return error.problems;
  }
  assert.fail('expected parseOptions to throw');
}

function only(input: unknown, overrides?: Parameters<typeof parseOptions>[1]) {
  const { scenarios } = parseOptions(input, overrides);
  assert.deepEqual(Object.keys(scenarios), ['default']);
  return scenarios.default!;
}

function scenario(config: Record<string, unknown>): ExecutorConfig {
  return parseOptions({ scenarios: { s: config } }).scenarios.s!;
}

describe('shortcuts derive the default scenario as k6 does', () => {
  it('runs 1 iteration in 1 VU when nothing is given', () => {
    for (const input of [undefined, null, {}]) {
      assert.deepEqual(only(input), {
        ...base,
        name: 'default',
        executor: 'per-vu-iterations',
        vus: 1,
        iterations: 1,
        maxDuration: 600_000,
      });
    }
  });

  it('vus + duration → constant-vus', () => {
    assert.deepEqual(only({ vus: 10, duration: '1m30s' }), {
      ...base,
      name: 'default',
      executor: 'constant-vus',
      vus: 10,
      duration: 90_000,
    });
    assert.equal((only({ duration: '10s' }) as { vus: number }).vus, 1);
  });

  it('iterations (+vus, +duration as maxDuration) → shared-iterations', () => {
    assert.deepEqual(only({ iterations: 7 }), {
      ...base,
      name: 'default',
      executor: 'shared-iterations',
      vus: 1,
      iterations: 7,
      maxDuration: 600_000,
    });
    const c = only({ iterations: 20, vus: 4, duration: '2m' });
    assert.deepEqual(
      [c.executor, (c as { vus: number }).vus, (c as { maxDuration: number }).maxDuration],
      ['shared-iterations', 4, 120_000],
    );
  });

  it('vus alone → shared-iterations with as many iterations as VUs (k6 v2)', () => {
    const c = only({ vus: 5 });
    assert.equal(c.executor, 'shared-iterations');
    assert.deepEqual(
      [(c as { vus: number }).vus, (c as { iterations: number }).iterations],
      [5, 5],
    );
  });

  it('stages → ramping-vus with startVUs = vus ?? 1, dropping stages without a duration', () => {
    assert.deepEqual(
      only({
        stages: [{ duration: '10s', target: 5 }, { target: 9 }, { duration: 2000, target: 0 }],
      }),
      {
        ...base,
        name: 'default',
        executor: 'ramping-vus',
        startVUs: 1,
        stages: [
          { duration: 10_000, target: 5 },
          { duration: 2000, target: 0 },
        ],
        gracefulRampDown: 30_000,
      },
    );
    const c = only({ vus: 3, stages: [{ duration: '1s', target: 1 }] });
    assert.equal((c as { startVUs: number }).startVUs, 3);
  });

  it('warns and runs 1 iteration when stages or scenarios are explicitly empty', () => {
    const a = parseOptions({ stages: [] });
    assert.equal(a.scenarios.default?.executor, 'per-vu-iterations');
    assert.match(a.warnings[0] ?? '', /`stages` was explicitly set to an empty value/);
    const b = parseOptions({ scenarios: {} });
    assert.equal(b.scenarios.default?.executor, 'per-vu-iterations');
    assert.match(b.warnings[0] ?? '', /`scenarios` was explicitly set to an empty value/);
  });

  it('ignores vus next to scenarios, with a warning', () => {
    const o = parseOptions({
      vus: 50,
      scenarios: { a: { executor: 'constant-vus', vus: 2, duration: '5s' } },
    });
    assert.deepEqual(Object.keys(o.scenarios), ['a']);
    assert.equal((o.scenarios.a as { vus: number }).vus, 2);
    assert.equal(o.warnings.length, 1);
  });

  it('refuses duration 0 and conflicting shortcuts, naming each', () => {
    assert.deepEqual(problemsOf({ duration: 0 }), [
      'duration: `duration` should be more than 0 (k6 v2 has no infinite duration)',
    ]);
    const stage = [{ duration: '1s', target: 1 }];
    const scenarios = { a: { executor: 'constant-vus', duration: '5s' } };
    assert.deepEqual(problemsOf({ iterations: 5, stages: stage, scenarios }), [
      'iterations: using `iterations` and `stages` options simultaneously is not allowed',
      'iterations: using `iterations` and `scenarios` options simultaneously is not allowed',
    ]);
    assert.deepEqual(problemsOf({ duration: '5s', stages: stage }), [
      'duration: using `duration` and `stages` options simultaneously is not allowed',
    ]);
    assert.deepEqual(problemsOf({ duration: '5s', scenarios: {} }), [
      'duration: using `duration` and `scenarios` options simultaneously is not allowed',
    ]);
    assert.deepEqual(problemsOf({ stages: stage, scenarios }), [
      'stages: using `stages` and `scenarios` options simultaneously is not allowed',
    ]);
  });

  it('reports shortcut problems at the shortcut’s own path', () => {
    assert.deepEqual(problemsOf({ vus: 0, duration: '500ms' }), [
      'vus: the number of VUs must be more than 0',
      'duration: the duration must be at least 1s, but is 500ms',
    ]);
    assert.deepEqual(
      problemsOf({ stages: [{ duration: '1s', target: -1 }, { duration: '-2s' }] }),
      [
        "stages[0].target: the target for stage 1 can't be negative",
        "stages[1].duration: the duration for stage 2 can't be negative",
        "stages[1].target: stage 2 doesn't have a target",
      ],
    );
    // k6 drops the stage without a duration, so it numbers the rest anew; the path stays true.
    assert.deepEqual(problemsOf({ stages: [{ target: 5 }, { duration: '1s', target: -1 }] }), [
      "stages[1].target: the target for stage 1 can't be negative",
    ]);
  });

  it('lets CLI overrides win: --duration/--iterations replace the script’s execution config', () => {
    const o = parseOptions(
      { scenarios: { a: { executor: 'constant-vus', duration: '1m' } } },
      { duration: '10s', vus: 3 },
    );
    assert.deepEqual(Object.keys(o.scenarios), ['default']);
    assert.deepEqual(
      [o.scenarios.default?.executor, (o.scenarios.default as { vus: number }).vus],
      ['constant-vus', 3],
    );
    assert.match(o.warnings[0] ?? '', /overrode scenarios configuration entirely/);
    const c = only({ stages: [{ duration: '1m', target: 10 }] }, { iterations: 4 });
    assert.deepEqual(
      [c.executor, (c as { iterations: number }).iterations],
      ['shared-iterations', 4],
    );
    assert.equal((only({ vus: 2, duration: '5s' }, { vus: 8 }) as { vus: number }).vus, 8);
    assert.deepEqual(problemsOf({}, { duration: 'soon' }), [
      '--duration: expected a duration like "30s", "1m30s" or a number of milliseconds, got "soon"',
    ]);
  });
});

describe('executor defaults', () => {
  it('shared-iterations and per-vu-iterations: 1 VU, 1 iteration, maxDuration 10m', () => {
    for (const executor of ['shared-iterations', 'per-vu-iterations']) {
      assert.deepEqual(scenario({ executor }), {
        ...base,
        name: 's',
        executor,
        vus: 1,
        iterations: 1,
        maxDuration: 600_000,
      });
    }
  });

  it('constant-vus: 1 VU', () => {
    assert.deepEqual(scenario({ executor: 'constant-vus', duration: '30s' }), {
      ...base,
      name: 's',
      executor: 'constant-vus',
      vus: 1,
      duration: 30_000,
    });
  });

  it('ramping-vus: startVUs 1, gracefulRampDown 30s', () => {
    assert.deepEqual(
      scenario({ executor: 'ramping-vus', stages: [{ duration: '1m', target: 10 }] }),
      {
        ...base,
        name: 's',
        executor: 'ramping-vus',
        startVUs: 1,
        stages: [{ duration: 60_000, target: 10 }],
        gracefulRampDown: 30_000,
      },
    );
  });

  it('arrival rates: timeUnit 1s, maxVUs = preAllocatedVUs, startRate 0', () => {
    assert.deepEqual(
      scenario({ executor: 'constant-arrival-rate', rate: 5, duration: '1m', preAllocatedVUs: 4 }),
      {
        ...base,
        name: 's',
        executor: 'constant-arrival-rate',
        rate: 5,
        timeUnit: 1000,
        duration: 60_000,
        preAllocatedVUs: 4,
        maxVUs: 4,
      },
    );
    assert.deepEqual(
      scenario({
        executor: 'ramping-arrival-rate',
        preAllocatedVUs: 2,
        maxVUs: 9,
        timeUnit: '1m',
        stages: [{ duration: '30s', target: 60 }],
      }),
      {
        ...base,
        name: 's',
        executor: 'ramping-arrival-rate',
        startRate: 0,
        timeUnit: 60_000,
        stages: [{ duration: 30_000, target: 60 }],
        preAllocatedVUs: 2,
        maxVUs: 9,
      },
    );
  });

  it('keeps the common fields', () => {
    const c = scenario({
      executor: 'constant-vus',
      duration: '5s',
      startTime: '1m',
      gracefulStop: '0s',
      exec: 'browse',
      env: { A: '1' },
      tags: { flow: 'browse' },
    });
    assert.deepEqual(
      [c.startTime, c.gracefulStop, c.exec, c.env, c.tags],
      [60_000, 0, 'browse', { A: '1' }, { flow: 'browse' }],
    );
  });
});

describe('executor validation collects every problem with its path', () => {
  it('shared-iterations and per-vu-iterations', () => {
    assert.deepEqual(
      problemsOf({
        scenarios: {
          a: { executor: 'shared-iterations', vus: 0, iterations: -1, maxDuration: '0.5s' },
          b: { executor: 'per-vu-iterations', vus: -2, iterations: 0, exec: '', startTime: '-1s' },
        },
      }),
      [
        'scenarios.a.vus: the number of VUs must be more than 0',
        "scenarios.a.iterations: the number of iterations (-1) can't be less than the number of VUs (0)",
        'scenarios.a.maxDuration: the maxDuration must be at least 1s, but is 500ms',
        'scenarios.b.exec: exec value cannot be empty',
        "scenarios.b.startTime: the startTime can't be negative",
        'scenarios.b.vus: the number of VUs must be more than 0',
        'scenarios.b.iterations: the number of iterations must be more than 0',
      ],
    );
  });

  it('constant-vus', () => {
    assert.deepEqual(
      problemsOf({ scenarios: { c: { executor: 'constant-vus', vus: 0, gracefulStop: -5 } } }),
      [
        "scenarios.c.gracefulStop: the gracefulStop timeout can't be negative",
        'scenarios.c.vus: the number of VUs must be more than 0',
        'scenarios.c.duration: the duration is unspecified',
      ],
    );
  });

  it('ramping-vus', () => {
    assert.deepEqual(
      problemsOf({
        scenarios: {
          r: {
            executor: 'ramping-vus',
            startVUs: -1,
            stages: [{ duration: '-1s', target: 0 }, { target: -3 }, { duration: '1s' }],
          },
        },
      }),
      [
        "scenarios.r.startVUs: the number of start VUs can't be negative",
        "scenarios.r.stages[0].duration: the duration for stage 1 can't be negative",
        "scenarios.r.stages[1].duration: stage 2 doesn't have a duration",
        "scenarios.r.stages[1].target: the target for stage 2 can't be negative",
        "scenarios.r.stages[2].target: stage 3 doesn't have a target",
        "scenarios.r.stages: either startVUs or one of the stages' target values must be greater than 0",
      ],
    );
    assert.deepEqual(problemsOf({ scenarios: { r: { executor: 'ramping-vus' } } }), [
      'scenarios.r.stages: at least one stage has to be specified',
    ]);
    assert.deepEqual(
      problemsOf({
        scenarios: { r: { executor: 'ramping-vus', stages: [{ duration: 1, target: 1e9 }] } },
      }),
      ['scenarios.r.stages[0].target: target for stage 1 exceeds max limit of 100000000'],
    );
  });

  it('constant-arrival-rate', () => {
    assert.deepEqual(
      problemsOf({
        scenarios: {
          c: {
            executor: 'constant-arrival-rate',
            rate: 0,
            timeUnit: 0,
            duration: '999ms',
            preAllocatedVUs: 5,
            maxVUs: 4,
          },
          d: { executor: 'constant-arrival-rate', preAllocatedVUs: -1 },
        },
      }),
      [
        'scenarios.c.duration: the duration must be at least 1s, but is 999ms',
        'scenarios.c.rate: the iteration rate must be more than 0',
        "scenarios.c.maxVUs: maxVUs can't be less than preAllocatedVUs",
        'scenarios.c.timeUnit: the timeUnit must be more than 0',
        'scenarios.d.duration: the duration is unspecified',
        "scenarios.d.rate: the iteration rate isn't specified",
        "scenarios.d.preAllocatedVUs: the number of preAllocatedVUs can't be negative",
      ],
    );
  });

  it('ramping-arrival-rate', () => {
    assert.deepEqual(
      problemsOf({
        scenarios: { r: { executor: 'ramping-arrival-rate', startRate: -1, stages: [] } },
      }),
      [
        "scenarios.r.startRate: the startRate value can't be negative",
        'scenarios.r.stages: at least one stage has to be specified',
        "scenarios.r.preAllocatedVUs: the number of preAllocatedVUs isn't specified",
      ],
    );
  });

  it('refuses externally-controlled, unknown and missing executors, unknown fields and bad names', () => {
    assert.deepEqual(
      problemsOf({
        scenarios: {
          ext: { executor: 'externally-controlled', vus: 1, maxVUs: 10, duration: '1m' },
          typo: { executor: 'constant-vu' },
          none: { vus: 1 },
          'bad name': { executor: 'constant-vus', duration: '1s', rate: 5 },
          nums: { executor: 'constant-vus', vus: 1.5, duration: true },
        },
      }),
      [
        'scenarios.ext.executor: k6 v2 removed the externally-controlled executor; use ramping-vus, constant-vus or constant-arrival-rate',
        'scenarios.typo.executor: unknown executor "constant-vu" in scenario "typo"; expected one of shared-iterations, per-vu-iterations, constant-vus, ramping-vus, constant-arrival-rate, ramping-arrival-rate',
        'scenarios.none.executor: scenario "none" has no executor; expected one of shared-iterations, per-vu-iterations, constant-vus, ramping-vus, constant-arrival-rate, ramping-arrival-rate',
        'scenarios.bad name: the scenario name should contain only numbers, latin letters, underscores, and dashes',
        'scenarios.bad name.rate: unknown option for the constant-vus executor',
        'scenarios.nums.vus: expected an integer, got 1.5',
        'scenarios.nums.duration: expected a duration like "30s", "1m30s" or a number of milliseconds, got true',
        'scenarios.nums.duration: the duration is unspecified',
      ],
    );
  });

  it('collects scenario problems and other option problems in one error', () => {
    const problems = problemsOf({
      scenarios: { a: { executor: 'constant-vus' } },
      maxRedirects: -1,
      summaryTrendStats: ['avg', 'p(101)', 'mean'],
      hosts: { 'a.test': 127 },
      userAgent: 5,
    });
    assert.deepEqual(problems, [
      'scenarios.a.duration: the duration is unspecified',
      'hosts.a.test: expected a string, got 127',
      'maxRedirects: must not be negative, got -1',
      'userAgent: expected a string, got 5',
      'summaryTrendStats[1]: unknown stat "p(101)"; expected avg, min, med, max, count or p(N) with N from 0 to 100',
      'summaryTrendStats[2]: unknown stat "mean"; expected avg, min, med, max, count or p(N) with N from 0 to 100',
    ]);
    assert.match(new OptionsError(problems).message, /\n {2}- scenarios\.a\.duration/);
  });
});

describe('durations', () => {
  it('parses k6 durations to ms: numbers and unitless strings are ms', () => {
    const cases: Array<[unknown, number | undefined]> = [
      [1500, 1500],
      ['500', 500],
      ['2.5', 2.5],
      ['500ms', 500],
      ['30s', 30_000],
      ['1m30s', 90_000],
      ['1.5h', 5_400_000],
      ['1h0m0s', 3_600_000],
      ['250us', 0.25],
      ['2d', 172_800_000],
      ['1d12h', 129_600_000],
      ['-1s', -1000],
      ['', undefined],
      ['1h30', undefined],
      ['1x', undefined],
      [' 1s', undefined],
      ['1.5d', undefined],
      [Number.NaN, undefined],
      [true, undefined],
    ];
    for (const [input, expected] of cases) {
      assert.equal(parseK6Duration(input), expected, JSON.stringify(input));
    }
  });

  it('defaults and parses the timeouts', () => {
    const o = parseOptions({ setupTimeout: '2m', minIterationDuration: 250 });
    assert.deepEqual(
      [o.setupTimeout, o.teardownTimeout, o.minIterationDuration],
      [120_000, 60_000, 250],
    );
  });
});

describe('other options', () => {
  it('applies defaults and lists what Loadline ignores', () => {
    const o = parseOptions({
      thresholds: { http_req_duration: ['p(95)<500'] },
      rps: 100,
      httpDebug: 'full',
      paused: undefined,
      scenarios: {
        b: { executor: 'per-vu-iterations', options: { browser: { type: 'chromium' } } },
      },
    });
    assert.deepEqual(o.thresholds, { http_req_duration: ['p(95)<500'] });
    assert.deepEqual(o.ignored, ['rps', 'httpDebug', 'scenarios.b.options']);
    assert.deepEqual(
      {
        maxRedirects: o.maxRedirects,
        userAgent: o.userAgent,
        batch: o.batch,
        batchPerHost: o.batchPerHost,
        summaryTrendStats: o.summaryTrendStats,
        insecureSkipTLSVerify: o.insecureSkipTLSVerify,
        hosts: o.hosts,
        tags: o.tags,
        summaryTimeUnit: o.summaryTimeUnit,
      },
      {
        maxRedirects: 10,
        userAgent: DEFAULT_USER_AGENT,
        batch: 20,
        batchPerHost: 6,
        summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'],
        insecureSkipTLSVerify: false,
        hosts: {},
        tags: {},
        summaryTimeUnit: undefined,
      },
    );
    assert.equal(parseOptions({}).thresholds, undefined);
  });

  it('keeps the values given', () => {
    const o = parseOptions({
      hosts: { 'shop.test': '10.0.0.1' },
      maxRedirects: 0,
      userAgent: '',
      discardResponseBodies: true,
      noConnectionReuse: true,
      tags: { team: 'a' },
      summaryTrendStats: ['p(99.9)', 'count'],
      summaryTimeUnit: 'ms',
      batch: '3',
    });
    assert.deepEqual(
      [o.hosts, o.maxRedirects, o.userAgent, o.discardResponseBodies, o.noConnectionReuse],
      [{ 'shop.test': '10.0.0.1' }, 0, '', true, true],
    );
    assert.deepEqual(
      [o.tags, o.summaryTrendStats, o.summaryTimeUnit, o.batch],
      [{ team: 'a' }, ['p(99.9)', 'count'], 'ms', 3],
    );
  });

  it('refuses options that are not an object', () => {
    assert.deepEqual(problemsOf([1]).slice(0, 1), ['options: expected an object, got [1]']);
  });
});

describe('shareOf: execution segments', () => {
  const counts = [1, 2, 3, 4, 5, 6, 7];
  const values = [1, 2, 3, 5, 7, 10, 11, 13, 24, 97, 100];
  const shares = (config: ExecutorConfig, count: number) =>
    Array.from({ length: count }, (_, i) => shareOf(config, i, count));
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

  it('stripes 10 VUs over 3 agents as 4, 3, 3 and 2 VUs leave the third agent empty', () => {
    const c = scenario({ executor: 'constant-vus', vus: 10, duration: '1m' });
    assert.deepEqual(
      shares(c, 3).map((s) => (s as { vus: number }).vus),
      [4, 3, 3],
    );
    const two = scenario({ executor: 'constant-vus', vus: 2, duration: '1m' });
    assert.deepEqual(
      shares(two, 3).map((s) => s && (s as { vus: number }).vus),
      [1, 1, undefined],
    );
    assert.deepEqual(shareOf(c, 0, 1), c);
    assert.throws(() => shareOf(c, 3, 3), RangeError);
  });

  it('splits VUs so the shares sum exactly, for 1..7 agents', () => {
    for (const vus of values) {
      const c = scenario({ executor: 'per-vu-iterations', vus, iterations: 3 });
      for (const count of counts) {
        const got = shares(c, count).map((s) => (s ? (s as { vus: number }).vus : 0));
        assert.equal(sum(got), vus, `${vus} VUs over ${count}`);
        assert.ok(Math.max(...got) - Math.min(...got) <= 1, `${got} is even`);
        shares(c, count).forEach((s) => {
          if (s) assert.equal((s as { iterations: number }).iterations, 3); // per VU, unscaled
        });
      }
    }
  });

  it('splits shared iterations in proportion to each agent’s VUs, summing exactly', () => {
    const c = scenario({ executor: 'shared-iterations', vus: 10, iterations: 25 });
    assert.deepEqual(
      shares(c, 3).map((s) => (s as { iterations: number }).iterations),
      [10, 8, 7],
    );
    for (const vus of values) {
      for (const extra of [0, 1, 6, 33]) {
        const iterations = vus * 2 + extra;
        const config = scenario({ executor: 'shared-iterations', vus, iterations });
        for (const count of counts) {
          const got = shares(config, count);
          const its = got.map((s) => (s ? (s as { iterations: number }).iterations : 0));
          const v = got.map((s) => (s ? (s as { vus: number }).vus : 0));
          assert.equal(sum(its), iterations, `${iterations} iterations/${vus} VUs over ${count}`);
          assert.equal(sum(v), vus);
          got.forEach((s) => {
            if (s)
              assert.ok((s as { iterations: number }).iterations >= (s as { vus: number }).vus);
          });
        }
      }
    }
  });

  it('splits ramping-vus stage targets so they sum exactly at every stage', () => {
    const targets = [0, 7, 13, 2, 100];
    const c = scenario({
      executor: 'ramping-vus',
      startVUs: 5,
      stages: targets.map((target) => ({ duration: '10s', target })),
    });
    for (const count of counts) {
      const got = shares(c, count).filter((s) => s !== undefined) as Array<{
        startVUs: number;
        stages: Array<{ target: number; duration: number }>;
      }>;
      assert.equal(sum(got.map((s) => s.startVUs)), 5);
      targets.forEach((t, i) => {
        assert.equal(sum(got.map((s) => s.stages[i]!.target)), t, `stage ${i} over ${count}`);
        for (const s of got) assert.equal(s.stages[i]!.duration, 10_000);
      });
    }
  });

  it('splits arrival rates as exact fractions and the VU pools as integers', () => {
    const lcm = (a: bigint, b: bigint): bigint => {
      const g = (x: bigint, y: bigint): bigint => (y === 0n ? x : g(y, x % y));
      return (a / g(a, b)) * b;
    };
    // Σ rate_i / timeUnit_i === rate / timeUnit, in exact integer arithmetic.
    const assertRatesSum = (
      parts: Array<[number, number]>,
      whole: [number, number],
      what: string,
    ) => {
      const units = [...parts.map(([, tu]) => BigInt(tu)), BigInt(whole[1])];
      const l = units.reduce(lcm);
      const total = parts.reduce((acc, [r, tu]) => acc + BigInt(r) * (l / BigInt(tu)), 0n);
      assert.equal(total, BigInt(whole[0]) * (l / BigInt(whole[1])), what);
    };
    for (const maxVUs of values) {
      for (const rate of [1, 7, 10, 1000]) {
        const pre = Math.floor(maxVUs / 2);
        const constant = scenario({
          executor: 'constant-arrival-rate',
          rate,
          timeUnit: '1s',
          duration: '1m',
          preAllocatedVUs: pre,
          maxVUs,
        });
        const ramping = scenario({
          executor: 'ramping-arrival-rate',
          startRate: rate,
          timeUnit: '1m',
          stages: [
            { duration: '1m', target: rate * 3 },
            { duration: '1m', target: 0 },
          ],
          preAllocatedVUs: pre,
          maxVUs,
        });
        for (const count of counts) {
          const c = shares(constant, count).filter((s) => s !== undefined) as Array<{
            rate: number;
            timeUnit: number;
            preAllocatedVUs: number;
            maxVUs: number;
          }>;
          const what = `rate ${rate}, maxVUs ${maxVUs}, ${count} agents`;
          assertRatesSum(
            c.map((s) => [s.rate, s.timeUnit]),
            [rate, 1000],
            what,
          );
          assert.equal(sum(c.map((s) => s.maxVUs)), maxVUs, what);
          assert.equal(sum(c.map((s) => s.preAllocatedVUs)), pre, what);
          for (const s of c) assert.ok(Number.isInteger(s.rate) && s.rate > 0);
          const r = shares(ramping, count).filter((s) => s !== undefined) as Array<{
            startRate: number;
            timeUnit: number;
            stages: Array<{ target: number }>;
          }>;
          assertRatesSum(
            r.map((s) => [s.startRate, s.timeUnit]),
            [rate, 60_000],
            what,
          );
          assertRatesSum(
            r.map((s) => [s.stages[0]!.target, s.timeUnit]),
            [rate * 3, 60_000],
            what,
          );
          assert.ok(r.every((s) => s.stages[1]!.target === 0));
        }
      }
    }
  });

  it('splits an arrival rate by maxVUs shares as k6 does, not evenly', () => {
    const c = scenario({
      executor: 'constant-arrival-rate',
      rate: 10,
      duration: '1m',
      preAllocatedVUs: 10,
    });
    assert.deepEqual(
      shares(c, 3).map((s) => [(s as { rate: number }).rate, (s as { timeUnit: number }).timeUnit]),
      [
        [4, 1000],
        [3, 1000],
        [3, 1000],
      ],
    );
    const even = scenario({
      executor: 'constant-arrival-rate',
      rate: 10,
      duration: '1m',
      preAllocatedVUs: 3,
    });
    assert.deepEqual(
      shares(even, 3).map((s) => [
        (s as { rate: number }).rate,
        (s as { timeUnit: number }).timeUnit,
      ]),
      [
        [10, 3000],
        [10, 3000],
        [10, 3000],
      ],
    );
  });
});

describe('durations and sizes of a scenario', () => {
  it('adds gracefulStop to the scenario’s own length', () => {
    const cases: Array<[Record<string, unknown>, number, number]> = [
      [{ executor: 'shared-iterations', vus: 2, iterations: 4 }, 630_000, 2],
      [{ executor: 'per-vu-iterations', vus: 3, maxDuration: '1m', gracefulStop: '5s' }, 65_000, 3],
      [{ executor: 'constant-vus', vus: 4, duration: '2m' }, 150_000, 4],
      [
        {
          executor: 'ramping-vus',
          startVUs: 6,
          stages: [
            { duration: '1m', target: 20 },
            { duration: '30s', target: 0 },
          ],
          gracefulStop: 0,
        },
        90_000,
        20,
      ],
      [
        {
          executor: 'constant-arrival-rate',
          rate: 1,
          duration: '10s',
          preAllocatedVUs: 2,
          maxVUs: 8,
        },
        40_000,
        8,
      ],
      [
        {
          executor: 'ramping-arrival-rate',
          preAllocatedVUs: 5,
          stages: [{ duration: '20s', target: 3 }],
        },
        50_000,
        5,
      ],
    ];
    for (const [config, duration, vus] of cases) {
      const c = scenario(config);
      assert.equal(scenarioDurationMs(c), duration, c.executor);
      assert.equal(vusOf(c), vus, c.executor);
    }
  });

  it('bounds the whole test by the latest scenario end', () => {
    const o = parseOptions({
      scenarios: {
        a: { executor: 'constant-vus', duration: '1m' },
        b: { executor: 'constant-vus', duration: '10s', startTime: '2m', gracefulStop: '1s' },
      },
    });
    assert.equal(testDurationMs(o), 131_000);
  });
});
