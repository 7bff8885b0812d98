import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseScenario, type Scenario } from '@loadline/scenario';
import { parse as parseJs } from 'acorn';
import { exportK6, K6ExportError } from './export.js';
import { parseOptions } from './options.js';
import { parseThresholds } from './thresholds.js';

/** A scenario from YAML lines; the flows default to one GET step each. */
function scenario(yaml: string): Scenario {
  const result = parseScenario(`name: t\ntarget: http://127.0.0.1:8080\n${yaml}`);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  return result.scenario;
}

const twoFlows = (a: number, b: number) => `flows:
  - { name: browse, weight: ${a}, steps: [{ name: list, request: { path: /a }, check: { status: 200 } }] }
  - { name: buy, weight: ${b}, steps: [{ name: add, request: { method: POST, path: /b } }] }
`;

/** The script's `options` literal, evaluated (it holds only plain data). */
function optionsOf(script: string): Record<string, unknown> {
  const match = /export const options = (\{[\s\S]*?\n\});/.exec(script);
  assert.ok(match, 'the script exports options');
  return new Function(`return ${match[1]};`)() as Record<string, unknown>;
}

/** What Loadline's k6 runner makes of the script's options: every scenario's config. */
function executors(script: string) {
  return parseOptions(optionsOf(script)).scenarios;
}

function problems(s: Scenario): string[] {
  try {
    exportK6(s);
  } catch (error) {
    assert.ok(error instanceof K6ExportError, String(error));
    return error.problems.map((p) => `${p.path.join('.')}: ${p.message}`);
  }
  assert.fail('expected the export to be refused');
}

describe('exportK6: load', () => {
  it('splits an open rate across flows by weight, one arrival-rate scenario each', () => {
    const { script } = exportK6(scenario(`load: { rate: 10, duration: 30s }\n${twoFlows(7, 3)}`));
    const s = executors(script);
    assert.deepEqual(Object.keys(s), ['browse', 'buy']);
    const browse = s.browse as Extract<(typeof s)[string], { executor: 'constant-arrival-rate' }>;
    const buy = s.buy as typeof browse;
    assert.equal(browse.executor, 'constant-arrival-rate');
    assert.deepEqual([browse.rate, browse.timeUnit, browse.duration], [7, 1000, 30_000]);
    assert.deepEqual([buy.rate, buy.timeUnit], [3, 1000]);
    assert.equal(browse.exec, 'flow_browse');
    assert.deepEqual(browse.tags, { flow: 'browse' });
    // maxVUs: the flow's share of the default 10,000 in flight; preAllocated: 2 × 7/s × 0.1 s.
    assert.deepEqual([browse.preAllocatedVUs, browse.maxVUs], [2, 7000]);
  });

  it('keeps fractional shares exact with a longer timeUnit, and says when it must round', () => {
    const thirds = exportK6(
      scenario(`load: { rate: 10, duration: 1m }\nflows:
  - { name: a, steps: [{ name: s1, request: { path: /a } }] }
  - { name: b, steps: [{ name: s2, request: { path: /b } }] }
  - { name: c, steps: [{ name: s3, request: { path: /c } }] }
`),
    );
    const s = executors(thirds.script);
    for (const name of ['a', 'b', 'c']) {
      const config = s[name] as { rate: number; timeUnit: number };
      assert.deepEqual([config.rate, config.timeUnit], [200, 60_000], name);
    }
    assert.deepEqual(thirds.warnings, []);
    const sevenths = exportK6(
      scenario(
        `load: { rate: 10, duration: 1m }\nflows:\n${[1, 2, 3, 4, 5, 6, 7]
          .map((i) => `  - { name: f${i}, steps: [{ name: s${i}, request: { path: /a } }] }`)
          .join('\n')}\n`,
      ),
    );
    const f1 = executors(sevenths.script).f1 as { rate: number; timeUnit: number };
    assert.deepEqual([f1.rate, f1.timeUnit], [5143, 3_600_000]);
    assert.match(sevenths.warnings.join('\n'), /flow f1: its rates \(1\.428571\/s\) are rounded/);
  });

  it('ramps each flow from its share of startRate through its share of each stage', () => {
    const { script } = exportK6(
      scenario(`load:
  startRate: 4
  stages: [{ duration: 20s, target: 200 }, { duration: 1m30s, target: 800 }]
  maxInFlight: 100
${twoFlows(3, 1)}`),
    );
    const browse = executors(script).browse as Extract<
      ReturnType<typeof executors>[string],
      { executor: 'ramping-arrival-rate' }
    >;
    assert.equal(browse.executor, 'ramping-arrival-rate');
    assert.equal(browse.startRate, 3);
    assert.deepEqual(browse.stages, [
      { duration: 20_000, target: 150 },
      { duration: 90_000, target: 600 },
    ]);
    assert.equal(browse.maxVUs, 75, '3/4 of maxInFlight');
    assert.equal(browse.preAllocatedVUs, 75, '2 × 600/s × 0.1 s, capped at maxVUs');
  });

  it('splits a closed model’s VUs by weight, and refuses a split that leaves a flow none', () => {
    const { script, warnings } = exportK6(
      scenario(`load: { vus: 5, duration: 10s }\n${twoFlows(3, 2)}`),
    );
    const s = executors(script);
    assert.deepEqual(
      Object.values(s).map((c) => [c.executor, (c as { vus: number }).vus]),
      [
        ['constant-vus', 3],
        ['constant-vus', 2],
      ],
    );
    assert.match(warnings.join('\n'), /closed model: k6 gives each flow its own VUs/);
    assert.deepEqual(problems(scenario(`load: { vus: 1, duration: 10s }\n${twoFlows(3, 2)}`)), [
      'load.vus: 1 VU(s) split by weight leave flow(s) buy with none (k6 gives each flow VUs of its own); give at least one VU per flow',
    ]);
  });

  it('names k6 scenarios and exec functions from any flow name', () => {
    const { script } = exportK6(
      scenario(`load: { rate: 2, duration: 1s }\nflows:
  - { name: buy.v2, steps: [{ name: a, request: { path: /a } }] }
  - { name: buy_v2, steps: [{ name: b, request: { path: /b } }] }
`),
    );
    const s = executors(script);
    assert.deepEqual(Object.keys(s), ['buy_v2', 'buy_v2_2']);
    assert.deepEqual(
      Object.values(s).map((c) => c.exec),
      ['flow_buy_v2', 'flow_buy_v2_2'],
    );
    assert.match(script, /export function flow_buy_v2_2\(\)/);
  });
});

describe('exportK6: thresholds and guardrails', () => {
  const exported = exportK6(
    scenario(`load: { rate: 10, duration: 10s }
${twoFlows(1, 1)}thresholds:
  "latency{step:list}": ["p(99)<300", "avg<100"]
  errors: ["rate<0.01", "count<10"]
  "checks{flow:buy}": ["rate>0.9", "count<3"]
  "iterations{flow:buy,step:add}": ["count>1"]
  requests: ["rate>=5"]
  dropped: ["count==0"]
guardrails:
  - { metric: errors, rate: ">0.2", for: 5s }
  - { metric: latency, step: add, "p(95)": ">=2000" }
`),
  );

  it('maps each metric to its k6 counterpart, tags step→name and flow→flow', () => {
    assert.deepEqual(optionsOf(exported.script).thresholds, {
      'http_req_duration{name:list}': ['p(99)<300', 'avg<100'],
      http_req_failed: [
        'rate<0.01',
        { threshold: 'rate<=0.2', abortOnFail: true, delayAbortEval: '5s' },
      ],
      loadline_errors: ['count<10'],
      'checks{flow:buy}': ['rate>0.9'],
      'loadline_checks_failed{flow:buy}': ['count<3'],
      'iterations{flow:buy}': ['count>1'],
      http_reqs: ['rate>=5'],
      dropped_iterations: ['count==0'],
      'http_req_duration{name:add}': [
        { threshold: 'p(95)<2000', abortOnFail: true, delayAbortEval: '1s' },
      ],
    });
  });

  it('writes thresholds the k6 runner accepts, and the counters they need', () => {
    const sets = parseThresholds(optionsOf(exported.script).thresholds);
    assert.equal(sets.length, 9);
    assert.match(exported.script, /const loadline_errors = new Counter\('loadline_errors'\);/);
    assert.match(exported.script, /loadline_errors\.add\(res\.status >= 200 && res\.status < 400/);
    assert.match(exported.script, /function checkCounted\(/);
    assert.match(exported.warnings.join('\n'), /guardrails become thresholds with abortOnFail/);
  });

  it('refuses what k6 cannot select, every problem at once, at its path', () => {
    const refused = scenario(`load: { rate: 10, duration: 10s }
shadow: true
${twoFlows(1, 1)}thresholds:
  "latency{status:5xx}": ["p(99)<300"]
  "errors{agent:a1}": ["rate<0.1"]
  dropped: ["rate<0.01"]
guardrails:
  - { metric: latency, "p(99)": ">2000" }
  - { metric: errors, step: list, rate: ">0.5", for: 2s }
`);
    const list = problems(refused);
    assert.equal(list.length, 4, list.join('\n'));
    assert.match(list[0] ?? '', /^shadow: shadow tags are signed by control/);
    assert.match(
      list[1] ?? '',
      /^thresholds\.latency\{status:5xx\}\.0: k6 cannot select a status class/,
    );
    assert.match(
      list[2] ?? '',
      /^thresholds\.errors\{agent:a1\}\.0: a k6 script runs as one instance/,
    );
    assert.match(list[3] ?? '', /^thresholds\.dropped\.0: k6's dropped_iterations has no share/);
  });

  it('refuses a replay scenario', () => {
    assert.deepEqual(problems(scenario('replay: { corpus: shop }')), [
      'replay: a replay sends captured traffic Loadline stores; k6 export takes load + flows',
    ]);
  });
});

describe('exportK6: steps', () => {
  const hostile = "it's `q` $x {y} \\ \r\n\u2028 end$";
  const s = scenario(`load: { rate: 1, duration: 1s }
feeders:
  users: { file: data/users.csv, order: random }
  items: { file: items.json }
flows:
  - name: buy
    steps:
      - name: add
        request:
          method: POST
          path: "/cart?u=\${users.id}&r=\${random(1,9)}"
          headers: { authorization: "Bearer \${secrets.API_TOKEN}" }
          json: { id: "\${uuid()}", item: "\${items.sku}", n: 1, __proto__: { a: [1, null] } }
        extract:
          cart: 'json $.cart["a.b"][0]'
          where: header Location
          num: 'regex id=(\\d+)'
        check: { status: [200, 201], bodyContains: ${JSON.stringify(hostile)}, maxLatency: 250ms }
        think: 1.5s
      - name: pay
        request: { method: PUT, path: "\${where}", body: ${JSON.stringify(`${hostile}\${cart}`)} }
        think: 2s
`);
  const { script, warnings } = exportK6(s, { feederPaths: { users: '../data/users.csv' } });

  it('is a module that parses', () => {
    parseJs(script, { ecmaVersion: 2022, sourceType: 'module' });
  });

  it('tags each request with its step and flow, and sends the step as Loadline does', () => {
    assert.match(
      script,
      /res = http\.post\(`\$\{BASE\}\/cart\?u=\$\{rows\.users\.id\}&r=\$\{randomInt\(1, 9\)\}`, JSON\.stringify\(/,
    );
    assert.match(script, /authorization: `Bearer \$\{SECRETS\.API_TOKEN\}`/);
    assert.match(script, /'Content-Type': 'application\/json'/);
    assert.match(script, /\['__proto__'\]: \{ a: \[1, null\] \}/);
    assert.match(script, /tags: \{ name: 'add', flow: 'buy' \}/);
    assert.match(script, /http\.put\(`\$\{BASE\}\$\{vars\.where\}`, `/);
    assert.match(script, /maxRedirects: 0/);
    assert.match(script, /if \(res\.status === 0\) return;/);
  });

  it('keeps literal text exactly, whatever characters it holds', () => {
    const ast = parseJs(script, { ecmaVersion: 2022, sourceType: 'module' });
    const cooked: string[] = [];
    const strings: string[] = [];
    const walk = (node: unknown): void => {
      if (node === null || typeof node !== 'object') return;
      const n = node as {
        type?: string;
        quasis?: Array<{ value: { cooked: string } }>;
        value?: unknown;
      };
      if (n.type === 'TemplateLiteral')
        cooked.push(n.quasis?.map((q) => q.value.cooked).join('${…}') ?? '');
      if (n.type === 'Literal' && typeof n.value === 'string') strings.push(n.value);
      for (const child of Object.values(node)) walk(child);
    };
    walk(ast);
    assert.ok(cooked.includes(`${hostile}\${…}`), 'the body template');
    assert.ok(strings.includes(hostile), 'the bodyContains check');
  });

  it('maps every extraction kind, checks, and think times', () => {
    assert.match(script, /vars\.cart = jsonValue\(res, 'cart\.a\\\\\.b\.0'\);/);
    assert.match(script, /vars\.where = headerValue\(res, 'location'\);/);
    assert.match(script, /vars\.num = regexValue\(res, 'id=\(\\\\d\+\)'\);/);
    assert.match(
      script,
      /if \(vars\.cart === undefined \|\| vars\.where === undefined \|\| vars\.num === undefined\) return;/,
    );
    assert.match(script, /'add: status 200 or 201': \(r\) => \[200, 201\]\.includes\(r\.status\)/);
    assert.match(script, /'add: latency <= 250ms': \(r\) => r\.timings\.duration <= 250/);
    assert.match(script, /sleep\(1\.5\);/);
    assert.doesNotMatch(script, /sleep\(2\)/, 'the last step’s think is left out');
    assert.match(warnings.join('\n'), /last think time is left out/);
  });

  it('reads feeders through SharedArray at the given paths, and secrets from __ENV', () => {
    assert.match(
      script,
      /users: feeder\('users', new SharedArray\('users', \(\) => parseCsv\(open\('\.\.\/data\/users\.csv'\)\)\), \['id'\]\)/,
    );
    assert.match(
      script,
      /items: feeder\('items', new SharedArray\('items', \(\) => JSON\.parse\(open\('items\.json'\)\)\), \['sku'\]\)/,
    );
    assert.match(
      script,
      /const rows = \{ users: nextRow\(feeders\.users, 'random'\), items: nextRow\(feeders\.items, 'sequential'\) \};/,
    );
    assert.match(script, /const SECRETS = \{ API_TOKEN: secret\('API_TOKEN'\) \};/);
    assert.match(script, /const value = __ENV\[name\];/);
  });

  it('gives ${runId()} one value per run, from setup()', () => {
    const { script: withRunId } = exportK6(
      scenario(`load: { rate: 1, duration: 1s }
flows:
  - { name: a, steps: [{ name: s, request: { path: "/x?run=\${runId()}" } }] }
  - { name: b, steps: [{ name: t, request: { path: /y } }] }
`),
    );
    assert.match(
      withRunId,
      /export function setup\(\) \{\n {2}return \{ runId: __ENV\.LOADLINE_RUN_ID/,
    );
    assert.match(withRunId, /export function flow_a\(data\) \{/);
    assert.match(withRunId, /`\$\{BASE\}\/x\?run=\$\{data\.runId\}`/);
    assert.match(withRunId, /export function flow_b\(\) \{/);
  });

  it('runs the generated CSV reader as Loadline reads feeders', () => {
    const source = /function parseCsv[\s\S]*?\n\}/.exec(script)?.[0];
    assert.ok(source);
    const parseCsv = new Function(`${source}; return parseCsv;`)() as (t: string) => unknown;
    assert.deepEqual(parseCsv('\uFEFFid, name\r\n1,"a, ""b"""\n\n 2 ,c\n'), [
      { id: '1', name: 'a, "b"' },
      { id: '2', name: 'c' },
    ]);
  });
});
