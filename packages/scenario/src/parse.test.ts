import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatError, parseScenario, type ScenarioError } from './parse.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function errorsOf(text: string): ScenarioError[] {
  const result = parseScenario(text);
  assert.equal(result.ok, false, 'expected the scenario to be rejected');
  return result.ok ? [] : result.errors;
}

const valid = `name: checkout-peak
target: http://127.0.0.1:8080
agents: 2
load:
  stages: [{ duration: 20s, target: 200 }, { duration: 1m, target: 800 }]
feeders:
  users: { file: data/users.csv, order: random }
flows:
  - name: browse
    weight: 7
    steps:
      - name: list
        request: { method: GET, path: "/api/products?page=\${random(1,20)}" }
        extract: { productId: "json $.items[0].id" }
        check: { status: 200 }
      - name: detail
        request: { method: GET, path: "/api/products/\${productId}" }
        think: 500ms
  - name: buy
    weight: 3
    steps:
      - name: cart
        request:
          method: POST
          path: /api/cart
          headers: { x-user: "\${users.id}" }
          json: { sku: 42, qty: 1 }
thresholds:
  "latency{step:detail}": ["p(99)<300"]
  "errors": ["rate<0.01"]
guardrails:
  - { metric: errors, rate: ">0.2", for: 5s }
  - { metric: latency, "p(99)": ">2000", for: 10s }
`;

describe('parseScenario', () => {
  it('accepts the documented example and fills defaults', () => {
    const result = parseScenario(valid);
    assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
    const { scenario } = result;
    assert.equal(scenario.environment, 'local');
    assert.equal(scenario.shadow, false);
    assert.equal(scenario.flows[0]?.steps[0]?.request.method, 'GET');
    assert.deepEqual(scenario.flows[1]?.steps[0]?.request.json, { sku: 42, qty: 1 });
    assert.equal(scenario.guardrails[0]?.for, '5s');
  });

  it('accepts the same scenario as JSON', () => {
    const json = JSON.stringify({
      name: 'json-one',
      target: 'https://127.0.0.1:8443',
      load: { vus: 5, duration: '30s' },
      flows: [{ name: 'f', steps: [{ name: 's', request: { path: '/' } }] }],
    });
    assert.ok(parseScenario(json).ok);
  });

  it('ships example scenarios that are valid', () => {
    const text = readFileSync(join(root, 'scenarios', 'demo-browse-buy.yaml'), 'utf8');
    const result = parseScenario(text);
    assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  });

  it('reports every error at once with path and line:column', () => {
    const errors = errorsOf(`name: checkout peak
target: 127.0.0.1:8080
load:
  rate: 300
  stages: [{ duration: 10 parsecs, target: 5 }]
flows:
  - name: browse
    weight: -1
    steps:
      - name: list
        request: { methd: GET, path: "/api/products/\${productId}" }
        extract: { id: "jsn $.x" }
thresholds:
  "latency{step:nope}": ["p(99)<300", "rate<0.5"]
`);
    const lines = errors.map((e) => formatError(e, 'bad.yaml'));
    const expected = [
      /^bad\.yaml:1:7 name: use letters/,
      /^bad\.yaml:2:9 target: expected an absolute http/,
      /^bad\.yaml:4:3 load: rate and stages cannot be combined/,
      /^bad\.yaml:5:24 load\.stages\[0\]\.duration: expected a duration .* "10 parsecs"/,
      /^bad\.yaml:8:13 flows\[0\]\.weight: /,
      /^bad\.yaml:11:20 flows\[0\]\.steps\[0\]\.request\.methd: unknown key "methd"/,
      /^bad\.yaml:11:38 flows\[0\]\.steps\[0\]\.request\.path: "\$\{productId\}" is not extracted/,
      /^bad\.yaml:12:24 flows\[0\]\.steps\[0\]\.extract\.id: unknown extractor "jsn"/,
      /^bad\.yaml:14:25 thresholds\["latency\{step:nope\}"\]: no step is named "nope"/,
      /^bad\.yaml:14:39 thresholds\["latency\{step:nope\}"\]\[1\]: latency supports p\(N\)/,
    ];
    assert.equal(lines.length, expected.length, lines.join('\n'));
    for (const [i, pattern] of expected.entries()) assert.match(lines[i] as string, pattern);
  });

  it('points a missing key at its parent and says it is required', () => {
    const [error] = errorsOf(
      'name: a\ntarget: http://127.0.0.1:1\nload: { rate: 1, duration: 1s }\nflows:\n  - steps: []\n',
    );
    assert.equal(error?.path, 'flows[0].name');
    assert.equal(error?.message, 'is required (string)');
    assert.equal(error?.line, 5);
  });

  it('reports YAML syntax errors with their position', () => {
    const [error] = errorsOf('name: a\ntarget: [unclosed\n');
    assert.ok(error && error.line >= 2, JSON.stringify(error));
    const [duplicate] = errorsOf('name: a\nname: b\n');
    assert.match(duplicate?.message ?? '', /unique/);
  });

  it('checks references: feeders, duplicate names, guardrails', () => {
    const errors = errorsOf(`name: refs
target: http://127.0.0.1:1
load: { vus: 1, duration: 1s, maxInFlight: 5 }
flows:
  - name: f
    steps:
      - { name: a, request: { path: "/\${users.id}" } }
      - { name: a, request: { path: "/\${uuid()}/\${nope(1)}" } }
  - name: f
    steps: [{ name: b, request: { path: / } }]
guardrails:
  - { metric: errors, rate: ">0.2", "p(99)": ">1" }
  - { metric: latency, "p(99)": ">2000", step: zzz }
`).map((e) => `${e.path}: ${e.message}`);
    assert.ok(
      errors.some((e) => /^load\.maxInFlight: applies to the open model/.test(e)),
      errors.join('\n'),
    );
    assert.ok(
      errors.some((e) => /feeder "users" is not defined/.test(e)),
      errors.join('\n'),
    );
    assert.ok(
      errors.some((e) => /unknown function "nope\(\)"/.test(e)),
      errors.join('\n'),
    );
    assert.ok(
      errors.some((e) => /step "a" is already used/.test(e)),
      errors.join('\n'),
    );
    assert.ok(
      errors.some((e) => /flow "f" is defined twice/.test(e)),
      errors.join('\n'),
    );
    assert.ok(
      errors.some((e) => /^guardrails\[0\]: a guardrail has exactly one condition/.test(e)),
    );
    assert.ok(errors.some((e) => /^guardrails\[1\]\.step: no step is named "zzz"/.test(e)));
  });

  it('accepts a capacity probe over six stages or more, and says when there are fewer', () => {
    const probe = (stages: number) => `name: probe
target: http://127.0.0.1:8081
load:
  stages: [${Array.from({ length: stages }, (_, i) => `{ duration: 5s, target: ${(i + 1) * 100} }`).join(', ')}]
flows: [{ name: f, steps: [{ name: s, request: { path: /api/products } }] }]
capacityProbe: { service: catalog, slo: { p99Ms: 50, cpuCeiling: 0.8 }, cores: 2 }
`;
    const result = parseScenario(probe(6));
    assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
    assert.deepEqual(result.scenario.capacityProbe, {
      service: 'catalog',
      slo: { p99Ms: 50, cpuCeiling: 0.8 },
      cores: 2,
      for: '2s',
    });
    const messages = (text: string) =>
      errorsOf(text).map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`);
    assert.ok(
      messages(probe(5)).some((e) =>
        /^6:16 capacityProbe: a capacity probe ramps in stages: give load.stages with at least six load levels/.test(
          e,
        ),
      ),
      messages(probe(5)).join('\n'),
    );
    assert.ok(
      messages(probe(6).replace('slo: { p99Ms: 50, cpuCeiling: 0.8 }', 'slo: {}')).some((e) =>
        /capacityProbe\.slo: an SLO needs p99Ms, cpuCeiling or both/.test(e),
      ),
    );
  });

  it('accepts a replay scenario instead of load + flows', () => {
    const result = parseScenario(`name: replay-mall
target: http://127.0.0.1:8080
agents: 2
shadow: true
replay: { corpus: mall-traffic, version: 3, speed: 2, maxInFlight: 500 }
thresholds:
  "latency{step:GET /api/products/{id}}": ["p(99)<300"]
  errors: ["rate<0.01"]
guardrails:
  - { metric: errors, rate: ">0.2", for: 5s }
`);
    assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
    assert.deepEqual(result.scenario.replay, {
      corpus: 'mall-traffic',
      version: 3,
      speed: 2,
      maxInFlight: 500,
    });
    assert.equal(result.scenario.load, undefined);
    assert.deepEqual(result.scenario.flows, []);
    const local = parseScenario(
      'name: r\ntarget: http://127.0.0.1:1\nreplay: { file: c.json, rate: 50 }\n',
    );
    assert.ok(local.ok, JSON.stringify(!local.ok && local.errors));
  });

  it('accepts a k6 script instead of flows, and nothing a script says itself beside it', () => {
    const k6 = {
      entry: 'script.js',
      code: 'import http from "k6/http";\nexport default function () {}\n',
      map: '{}',
      files: { './users.json': Buffer.from('[]').toString('base64') },
      options: { vus: 2, duration: '5s' },
    };
    const result = parseScenario(
      JSON.stringify({ name: 'k6-script', target: 'http://127.0.0.1:8080', k6 }),
    );
    assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
    assert.deepEqual(result.scenario.k6?.env, {});
    assert.deepEqual(result.scenario.k6?.overrides, {});
    assert.equal(result.scenario.k6?.thresholds, true);
    const mixed = errorsOf(
      JSON.stringify({
        name: 'k6-mixed',
        target: 'http://127.0.0.1:8080',
        k6,
        load: { rate: 1, duration: '1s' },
        thresholds: { errors: ['rate<0.1'] },
      }),
    ).map((e) => `${e.path}: ${e.message}`);
    assert.deepEqual(mixed, [
      'load: a k6 scenario runs its script: its options say the load and its thresholds the verdict',
      'thresholds: a k6 scenario runs its script: its options say the load and its thresholds the verdict',
    ]);
    const badFile = errorsOf(
      JSON.stringify({
        name: 'k6-file',
        target: 'http://127.0.0.1:8080',
        k6: { ...k6, files: { 'a.bin': 'not base64!' } },
      }),
    );
    assert.equal(badFile[0]?.path, 'k6.files["a.bin"]');
  });

  it('wants exactly one of load + flows or replay, with paths', () => {
    const both = errorsOf(`name: both
target: http://127.0.0.1:1
load: { rate: 1, duration: 1s }
flows: [{ name: f, steps: [{ name: s, request: { path: / } }] }]
replay: { corpus: c, speed: 2, rate: 5 }
`).map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`);
    assert.deepEqual(
      both.map((e) => e.replace(/: .*$/, '')),
      ['3:7 load', '4:8 flows', '5:38 replay.rate'],
      both.join('\n'),
    );
    assert.match(both[0] ?? '', /give load \+ flows, or replay, not both/);
    const neither = errorsOf('name: none\ntarget: http://127.0.0.1:1\n').map(
      (e) => `${e.path}: ${e.message}`,
    );
    assert.deepEqual(neither, [
      'load: is required (a load model), with flows; or give replay: { corpus: NAME } to replay captured traffic',
      'flows: a scenario needs at least one flow',
    ]);
    const source = errorsOf(
      'name: r\ntarget: http://127.0.0.1:1\nreplay: { corpus: a, file: b.json, version: 0 }\n',
    ).map((e) => `${e.path}: ${e.message}`);
    assert.ok(source.includes('replay: give corpus or file, not both'), source.join('\n'));
    assert.ok(
      source.some((e) => e.startsWith('replay.version:')),
      source.join('\n'),
    );
    const none = errorsOf('name: r\ntarget: http://127.0.0.1:1\nreplay: { speed: 2 }\n');
    assert.match(none[0]?.message ?? '', /name a stored corpus/);
  });
});
