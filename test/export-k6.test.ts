// End to end: `loadline export k6 FILE` writes a k6 script of the scenario's model; the
// script type-checks against @types/k6 and, run with `loadline run SCRIPT --local` against a
// real HTTP server on 127.0.0.1, sends the scenario's request mix, checks and thresholds.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { k6ResultOf } from './k6/result.js';
import { cli, closeHttp, root, serveHttp } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'loadline-export-k6-'));
const TOKEN = 'tok-123';
/** Seconds the scenario runs, at RATE arrivals a second, flows weighted 3 : 1. */
const SECONDS = 4;
const RATE = 40;

let server: http.Server;
let base = '';
let failOrders = false;
const received = { list: 0, add: 0, order: 0, status: 0, other: 0 };
const users = new Set<string>();
let unauthorized = 0;

before(async () => {
  ({ server, base } = await serveHttp((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      if (url.pathname === '/api/products') {
        received.list++;
        users.add(url.searchParams.get('u') ?? '');
        if (req.headers.authorization !== `Bearer ${TOKEN}`) unauthorized++;
        res.end('our products');
      } else if (url.pathname === '/api/cart' && req.method === 'POST') {
        received.add++;
        const { user } = JSON.parse(body) as { user: string };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ cart: { id: `c-${user}` } }));
      } else if (url.pathname === '/api/orders' && req.method === 'POST') {
        received.order++;
        res.statusCode = failOrders ? 500 : 201;
        if (!failOrders) res.setHeader('Location', '/api/orders/7');
        res.end(`order id=7 for ${url.searchParams.get('cart')}`);
      } else if (url.pathname === '/api/orders/7' && url.searchParams.get('n') === '7') {
        received.status++;
        res.end('{}');
      } else {
        received.other++;
        res.statusCode = 404;
        res.end();
      }
    });
  }));
});
after(() => closeHttp(server));

const reset = () => {
  for (const key of Object.keys(received)) received[key as keyof typeof received] = 0;
  users.clear();
  unauthorized = 0;
};

/** The scenario in dir/scenario/, its feeder in dir/scenario/data/, the script in dir/out/. */
function writeScenario(extra = ''): { file: string; out: string } {
  const folder = join(dir, 'scenario');
  mkdirSync(join(folder, 'data'), { recursive: true });
  mkdirSync(join(dir, 'out'), { recursive: true });
  writeFileSync(join(folder, 'data', 'users.csv'), 'id,name\nu1,Ann\nu2,Bob\nu3,"Cy, Jr"\n');
  const file = join(folder, 'mix.yaml');
  writeFileSync(
    file,
    `name: mix
target: ${base}
load: { rate: ${RATE}, duration: ${SECONDS}s }
feeders:
  users: { file: data/users.csv }
flows:
  - name: browse
    weight: 3
    steps:
      - name: list
        request:
          path: "/api/products?u=\${users.id}"
          headers: { authorization: "Bearer \${secrets.API_TOKEN}" }
        check: { status: 200, bodyContains: products }
  - name: buy
    weight: 1
    steps:
      - name: add
        request: { method: POST, path: /api/cart, json: { user: "\${users.id}" } }
        extract: { cart: "json $.cart.id" }
        check: { status: 200 }
      - name: order
        request: { method: POST, path: "/api/orders?cart=\${cart}" }
        extract: { where: header Location, n: 'regex id=(\\d+)' }
        check: { status: 201 }
      - name: status
        request: { path: "\${where}?n=\${n}" }
        check: { status: 200 }
thresholds:
  checks: ["rate==1"]
  errors: ["rate<0.01"]
  "latency{step:list}": ["p(99)<2000"]
  "requests{flow:buy}": ["count>10"]
guardrails:
  - { metric: errors, step: order, rate: ">0.5", for: 1s }
${extra}`,
  );
  return { file, out: join(dir, 'out', 'mix.js') };
}

const runScript = async (out: string) => {
  const result = await cli(['run', out, '--local', '--json', '-e', `API_TOKEN=${TOKEN}`]);
  assert.ok(result.stdout.trim() !== '', result.stderr);
  return { code: result.code, stderr: result.stderr, k6: k6ResultOf(result.stdout) };
};

describe('loadline export k6', () => {
  let file = '';
  let out = '';
  before(() => {
    ({ file, out } = writeScenario());
  });

  it('writes the script, with the feeder path relative to it, and prints { out, warnings }', async () => {
    const result = await cli(['export', 'k6', file, '--out', out, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const printed = JSON.parse(result.stdout) as { out: string; warnings: string[] };
    assert.equal(printed.out, out);
    assert.match(printed.warnings.join('\n'), /guardrails become thresholds with abortOnFail/);
    const script = readFileSync(out, 'utf8');
    assert.match(script, /open\('\.\.\/scenario\/data\/users\.csv'\)/);
    assert.match(script, /executor: 'constant-arrival-rate'/);
  });

  it('type-checks against @types/k6 (allowJs + checkJs, strict)', () => {
    const tsconfig = join(dir, 'out', 'tsconfig.json');
    writeFileSync(
      tsconfig,
      JSON.stringify({
        compilerOptions: {
          allowJs: true,
          checkJs: true,
          noEmit: true,
          strict: true,
          target: 'ES2020',
          lib: ['ES2020'],
          module: 'ESNext',
          moduleResolution: 'Bundler',
          types: ['k6'],
          typeRoots: [join(root, 'node_modules', '@types')],
        },
        files: [out],
      }),
    );
    const tsc = spawnSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', tsconfig], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(tsc.status, 0, `${tsc.stdout}${tsc.stderr}`);
  });

  it("runs on Loadline's k6 runner with the scenario's request mix, checks and thresholds", async () => {
    reset();
    failOrders = false;
    const { code, stderr, k6 } = await runScript(out);
    assert.equal(code, 0, stderr);
    // Arrival-rate executors are deterministic: 30/s browse and 10/s buy, give or take the
    // arrival at each end of the run. Tolerance: each flow's share within 0.03 of its weight's,
    // and each count within 5 % of rate × share × duration.
    const browse = received.list;
    const buy = received.add;
    const share = browse / (browse + buy);
    assert.ok(Math.abs(share - 0.75) <= 0.03, `browse share ${share} (${browse} : ${buy})`);
    assert.ok(
      Math.abs(browse - RATE * 0.75 * SECONDS) <= 0.05 * RATE * 0.75 * SECONDS,
      `${browse}`,
    );
    assert.ok(Math.abs(buy - RATE * 0.25 * SECONDS) <= 0.05 * RATE * 0.25 * SECONDS, `${buy}`);
    // Each buy walked its three steps on extracted values: cart id, Location and regex.
    assert.deepEqual([received.order, received.status, received.other], [buy, buy, 0]);
    assert.deepEqual([...users].sort(), ['u1', 'u2', 'u3'], 'the feeder rows in turn');
    assert.equal(unauthorized, 0, 'every list request carried the secret from __ENV');
    const m = k6.summary.metrics;
    assert.equal(m.checks?.values.rate, 1);
    assert.equal(m.checks?.values.passes, browse * 2 + buy * 3);
    assert.equal(m['http_reqs{flow:buy}']?.values.count, buy * 3);
    assert.deepEqual(m['http_reqs{flow:buy}']?.thresholds, { 'count>10': { ok: true } });
    assert.deepEqual(m['http_req_failed{name:order}']?.thresholds, { 'rate<=0.5': { ok: true } });
  });

  it('fails its checks and thresholds, and a guardrail aborts the run, when the target fails', async () => {
    reset();
    failOrders = true;
    const { code, stderr, k6 } = await runScript(out);
    assert.equal(code, 99, stderr);
    assert.match(k6.reason ?? '', /http_req_failed\{name:order\}.*abortOnFail/);
    const m = k6.summary.metrics;
    assert.deepEqual(m.checks?.thresholds, { 'rate==1': { ok: false } });
    assert.deepEqual(m['http_req_failed{name:order}']?.thresholds, { 'rate<=0.5': { ok: false } });
    // Every order the runner saw failed, and failed its status check; the abort may cut off
    // the last one or two in flight after the target answered.
    const orders = m['http_req_failed{name:order}']?.values;
    assert.equal(orders?.rate, 1);
    assert.ok(
      (orders?.passes ?? 0) >= received.order - 2,
      `${orders?.passes} of ${received.order}`,
    );
    assert.ok((m.checks?.values.fails ?? 0) >= (orders?.passes ?? 0), 'each 500 failed its check');
    assert.equal(received.status, 0, 'no Location to extract: the iteration ends at order');
    // Thresholds are judged every 2 s: the abort comes well before the run's 4 s.
    assert.ok(
      received.list < 0.8 * RATE * 0.75 * SECONDS,
      `${received.list} list requests: the run was not cut short`,
    );
  });

  it('refuses what k6 cannot express, at its field with line:column, and writes nothing', async () => {
    const refused = join(dir, 'refused.js');
    const { file: bad } = writeScenario('');
    const text = readFileSync(bad, 'utf8').replace(
      'thresholds:\n',
      'thresholds:\n  "latency{status:5xx}": ["p(99)<300"]\n',
    );
    const badFile = join(dir, 'scenario', 'bad.yaml');
    writeFileSync(badFile, text);
    const result = await cli(['export', 'k6', badFile, '--out', refused]);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /bad\.yaml:\d+:\d+ thresholds\["latency\{status:5xx\}"\]\[0\]: k6 cannot select a status class/,
    );
    assert.match(result.stderr, /1 problem\(s\); no k6 script was written/);
    assert.equal(existsSync(refused), false);
  });
});
