// End to end: `loadline run FILE --local` against a real HTTP server on 127.0.0.1.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hostMatcher, LOOPBACK_HOSTS } from '@loadline/api';
import { cli, closeHttp, serveHttp } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'loadline-run-'));

let server: http.Server;
let base = '';
let served = 0;

before(async () => {
  ({ server, base } = await serveHttp((req, res) => {
    served++;
    res.setHeader('content-type', 'application/json');
    if (req.url?.startsWith('/api/products?')) res.end('{"items":[{"id":42}]}');
    else if (req.url === '/api/products/42') res.end('{"id":42}');
    else if (req.url === '/slow') setTimeout(() => res.end('{}'), 30);
    else {
      res.statusCode = 500;
      res.end('{}');
    }
  }));
});
after(() => closeHttp(server));

function scenario(name: string, body: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\n${body.replaceAll('BASE', base)}`);
  return file;
}

const run = (args: string[]) => cli(['run', ...args]);

const browse = `target: BASE
load: { rate: 100, duration: 2s }
flows:
  - name: browse
    steps:
      - name: list
        request: { path: "/api/products?page=\${random(1,5)}" }
        extract: { id: "json $.items[0].id" }
        check: { status: 200 }
      - name: detail
        request: { path: "/api/products/\${id}" }
`;

describe('loadline run --local', () => {
  it('passes its thresholds, prints the documented JSON and exits 0', async () => {
    served = 0;
    const file = scenario(
      'pass',
      `${browse}thresholds:\n  "latency{step:detail}": ["p(99)<500"]\n  errors: ["rate<0.01"]\n`,
    );
    const result = await run([file, '--local', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout);
    assert.equal(json.status, 'passed');
    assert.equal(json.passed, true);
    assert.equal(json.durationS, 2);
    assert.equal(json.agents, 1);
    assert.deepEqual(json.intendedMix, { browse: 1 });
    assert.equal(json.total.requests, 400);
    assert.equal(served, 400);
    assert.equal(json.total.errors, 0);
    // The generator kept up, and says how it did.
    assert.deepEqual(json.generator.saturated, []);
    assert.equal(json.generator.agents[0].sent, 400);
    assert.deepEqual(Object.keys(json.steps), ['list', 'detail']);
    assert.equal(json.steps.detail.requests, 200);
    assert.equal(json.steps.list.checksFailed, 0);
    for (const key of ['p50', 'p90', 'p99', 'p999', 'max'])
      assert.equal(typeof json.total.latencyMs[key], 'number');
    assert.equal(json.thresholds.length, 2);
    assert.deepEqual(
      json.thresholds.map((t: { expression: string; passed: boolean }) => [t.expression, t.passed]),
      [
        ['latency{step:detail}: p(99)<500', true],
        ['errors: rate<0.01', true],
      ],
    );
  });

  it('exits 1 when a threshold fails, and says which', async () => {
    const file = scenario(
      'fail',
      `${browse}thresholds:\n  "latency{step:list}": ["p(50)<0.001"]\n`,
    );
    const result = await run([file, '--local']);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /FAIL {2}latency\{step:list\}: p\(50\)<0\.001/);
    assert.match(result.stdout, /status FAILED/);
  });

  it('ends invalid and exits 5 when the generator cannot keep up, thresholds kept but marked', async () => {
    // 300,000 arrivals a second is past what one process sends on this machine: most sends
    // go out late, and the run must not look fine whatever its (lenient) thresholds say.
    const file = scenario(
      'saturated',
      `target: BASE
load: { rate: 300000, duration: 2s }
flows: [{ name: f, steps: [{ name: list, request: { path: "/api/products?page=1" } }] }]
thresholds:
  errors: ["rate<1"]
`,
    );
    const result = await run([file, '--local', '--json']);
    assert.equal(result.code, 5, result.stderr);
    const json = JSON.parse(result.stdout);
    assert.equal(json.status, 'invalid');
    assert.equal(json.passed, false);
    assert.equal(json.thresholds[0].passed, true);
    assert.equal(json.thresholds[0].untrustworthy, true);
    const [saturated] = json.generator.saturated;
    assert.equal(saturated.agentId, 'local');
    assert.ok(saturated.seconds >= 2, JSON.stringify(saturated));
    assert.ok(saturated.lateShare > 0.01, JSON.stringify(saturated));
    assert.match(json.generator.hint, /300,000\/s needs about \d+ agents/);
    // The table says it before anything else.
    const table = await run([file, '--local']);
    assert.equal(table.code, 5, table.stderr);
    assert.match(table.stdout, /status INVALID[\s\S]*INVALID: a load generator could not keep up/);
    assert.match(table.stdout, /untrustworthy: measured by a saturated generator/);
  });

  it('takes the saturation limits from LOADLINE_SATURATION, and refuses a bad one (exit 2)', async () => {
    const file = scenario('lenient', `${browse}`);
    // With a late limit no generator can cross (100 %) and no loop limit in reach, the run
    // that met its rate passes; a malformed setting is bad input.
    const lenient = await cli(['run', file, '--local', '--json'], {
      env: { ...process.env, LOADLINE_SATURATION: 'late=100%,loop=10000ms' },
    });
    assert.equal(lenient.code, 0, lenient.stderr);
    assert.deepEqual(JSON.parse(lenient.stdout).generator.limits, {
      lateShare: 1,
      eventLoopDelayP99Ms: 10_000,
      forS: 5,
    });
    const bad = await cli(['run', file, '--local'], {
      env: { ...process.env, LOADLINE_SATURATION: 'late=lots' },
    });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /LOADLINE_SATURATION: "late=lots" is not late=N%/);
  });

  it('aborts on a guardrail and exits 3', async () => {
    const file = scenario(
      'guard',
      `target: BASE
load: { rate: 50, duration: 30s }
flows: [{ name: f, steps: [{ name: broken, request: { path: /broken } }] }]
guardrails:
  - { metric: errors, rate: ">0.5", for: 1s }
`,
    );
    const started = Date.now();
    const result = await run([file, '--local', '--json']);
    assert.equal(result.code, 3, result.stderr);
    assert.ok(Date.now() - started < 8000, 'stopped long before the 30 s profile ended');
    assert.match(result.stderr, /guardrail tripped: errors rate>0\.5 for 1s/);
    const json = JSON.parse(result.stdout);
    assert.equal(json.status, 'aborted');
    assert.match(json.abortReason, /guardrail/);
  });

  it('refuses a target outside this machine (exit 2) and sends nothing', async () => {
    served = 0;
    const file = scenario('remote', browse.replace('BASE', 'http://shop.example.com'));
    const result = await run([file, '--local']);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /target shop\.example\.com is not allowed by the local environment/,
    );
  });

  it('agrees with the built-in local environment on tricky hosts', async () => {
    const port = new URL(base).port;
    // What control's launch check applies to runs in the `local` environment it creates.
    const localEnvironment = hostMatcher([...LOOPBACK_HOSTS]);
    const table: Array<[host: string, allowed: boolean]> = [
      ['127.0.0.1', true],
      ['[::ffff:127.0.0.1]', true],
      ['localhost.', true],
      ['2130706433', true],
      ['a.localhost', false],
      ['localhost.example.com', false],
      ['0.0.0.0', false],
      ['[::]', false],
    ];
    for (const [host, allowed] of table) {
      const target = `http://${host}:${port}`;
      assert.equal(localEnvironment(target), allowed, `control on ${host}`);
      const file = scenario(
        `tricky-${table.findIndex(([h]) => h === host)}`,
        `target: ${target}\nload: { rate: 5, duration: 300ms }\nflows:\n  - name: f\n    steps: [{ name: s, request: { path: /x } }]\n`,
      );
      const result = await run([file, '--local', '--json']);
      const refused = /is not allowed by the local environment/.test(result.stderr);
      assert.equal(refused, !allowed, `--local on ${host}: ${result.stderr}`);
      assert.equal(result.code, allowed ? 0 : 2, `--local on ${host}: ${result.stderr}`);
    }
  });

  it('refuses an invalid scenario with its errors (exit 2)', async () => {
    const file = scenario('invalid', 'target: BASE\nload: { rate: 10 }\nflows: []\n');
    const result = await run([file, '--local']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /invalid\.yaml:3:7 load\.duration: rate needs a duration/);
    assert.match(result.stderr, /nothing was run/);
  });
});
