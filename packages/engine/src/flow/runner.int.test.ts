import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseScenario, type Scenario } from '@loadline/scenario';
import { constantRate } from '../schedule.js';
import { compileScenario } from './compile.js';
import { type FlowInterval, type FlowModel, FlowRunner } from './runner.js';
import { summarizeFlows } from './summary.js';

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;

const closers: Array<() => void> = [];
after(() => {
  for (const close of closers) close();
});

async function serve(handler: Handler): Promise<string> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function scenarioOf(yaml: string): Scenario {
  const result = parseScenario(yaml);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  return result.scenario;
}

async function runFlows(
  scenario: Scenario,
  model: FlowModel,
  options: {
    baseDir?: string;
    shard?: { index: number; count: number };
    extraHeaders?: [string, string][];
  } = {},
) {
  const plan = compileScenario(scenario, {
    baseDir: options.baseDir ?? tmpdir(),
    ...(options.shard ? { shard: options.shard } : {}),
  });
  const runner = new FlowRunner({
    plan,
    model,
    runId: 'run_test',
    agentId: 'agent-1',
    ...(options.extraHeaders ? { extraHeaders: options.extraHeaders } : {}),
  });
  const intervals: FlowInterval[] = [];
  runner.on('interval', (i) => intervals.push(i));
  const report = await runner.run();
  return { report, intervals, summary: summarizeFlows(report.totals) };
}

const shop: Handler = (req, _body, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  res.setHeader('content-type', 'application/json');
  if (url.pathname === '/api/products') {
    const page = Number(url.searchParams.get('page'));
    res.end(JSON.stringify({ items: [{ id: page * 100 + 7 }] }));
  } else if (/^\/api\/products\/\d+$/.test(url.pathname)) {
    const id = Number(url.pathname.split('/').pop());
    // Only ids handed out by the list step exist: proves the extraction reached here.
    res.statusCode = id % 100 === 7 ? 200 : 404;
    res.end(JSON.stringify({ id }));
  } else if (url.pathname === '/api/cart' && req.method === 'POST') {
    res.statusCode = 201;
    res.setHeader('location', '/api/cart/55');
    res.end('{"ok":true}');
  } else {
    res.statusCode = 404;
    res.end('{}');
  }
};

describe('FlowRunner', () => {
  it('runs weighted flows, extracts, checks and keeps per-step results', async () => {
    const base = await serve(shop);
    const scenario = scenarioOf(`
name: shop
target: ${base}
load: { rate: 400, duration: 2s }
flows:
  - name: browse
    weight: 3
    steps:
      - name: list
        request: { path: "/api/products?page=\${random(1,20)}" }
        extract: { productId: "json $.items[0].id" }
        check: { status: 200 }
      - name: detail
        request: { path: "/api/products/\${productId}" }
        check: { status: 200, bodyContains: '"id"' }
  - name: lost
    weight: 1
    steps:
      - name: missing
        request: { path: /api/nothing }
        check: { status: 200 }
`);
    const { report, summary, intervals } = await runFlows(scenario, {
      kind: 'open',
      profile: constantRate(400, 2000),
      maxInFlight: 1000,
    });
    assert.equal(report.aborted, false);
    assert.equal(summary.iterations.started, 800);
    assert.equal(summary.iterations.completed, 800);
    const list = summary.steps.list;
    const detail = summary.steps.detail;
    const missing = summary.steps.missing;
    assert.ok(list && detail && missing);
    assert.equal(list.requests, detail.requests, 'every browse iteration reached detail');
    assert.equal(list.requests + missing.requests, 800);
    assert.deepEqual(detail.statusCodes, { '200': detail.requests }, 'extracted ids were valid');
    assert.equal(detail.checksFailed, 0);
    assert.equal(detail.checks, detail.requests * 2);
    assert.equal(missing.checksFailed, missing.requests, 'every 404 failed its check');
    assert.equal(missing.errors, missing.requests);
    assert.equal(summary.total.requests, list.requests * 2 + missing.requests);
    // 3:1 weights over 800 iterations: 75% ± a few points.
    const browse = report.achievedMix.browse ?? 0;
    assert.ok(Math.abs(browse - 0.75) < 0.06, `achieved browse share ${browse}`);
    assert.deepEqual(report.intendedMix, { browse: 0.75, lost: 0.25 });
    // Interval rows carry the same counts as the totals.
    const rowRequests = intervals.flatMap((i) => i.rows).reduce((n, r) => n + r.requests, 0);
    assert.equal(rowRequests, summary.total.requests);
    assert.ok(
      intervals
        .flatMap((i) => i.rows)
        .every((r) => r.runId === 'run_test' && r.agentId === 'agent-1'),
    );
  });

  it('measures a step from when it was due, so a stall shows', async () => {
    const start = performance.now();
    const base = await serve((_req, _body, res) => {
      const t = performance.now() - start;
      if (t > 500 && t < 800) setTimeout(() => res.end('{}'), 800 - t);
      else res.end('{}');
    });
    const scenario = scenarioOf(`
name: stall
target: ${base}
load: { rate: 200, duration: 1500ms }
flows: [{ name: f, steps: [{ name: only, request: { path: / } }] }]
`);
    const { summary } = await runFlows(scenario, {
      kind: 'open',
      profile: constantRate(200, 1500),
      maxInFlight: 1000,
    });
    const step = summary.steps.only;
    assert.ok(step);
    assert.equal(step.requests, 300);
    assert.ok(step.latencyMs.max > 200, `max ${step.latencyMs.max} ms shows the ~300 ms stall`);
    assert.ok(step.latencyMs.p50 < 50);
  });

  it('closed model: virtual users loop with think time, one connection each', async () => {
    const base = await serve(shop);
    const scenario = scenarioOf(`
name: vus
target: ${base}
load: { vus: 3, duration: 1s }
flows:
  - name: buy
    steps:
      - name: cart
        request: { method: POST, path: /api/cart, json: { sku: "\${iteration()}", qty: 1 } }
        extract: { cart: "header Location" }
        check: { status: 201 }
        think: 100ms
      - name: view
        request: { path: "\${cart}" }
`);
    const { report, summary } = await runFlows(scenario, {
      kind: 'closed',
      vus: 3,
      durationMs: 1000,
    });
    assert.ok(report.peakConnections <= 3, `peak ${report.peakConnections}`);
    const cart = summary.steps.cart;
    assert.ok(cart && cart.requests >= 15 && cart.requests <= 33, `cart ${cart?.requests}`);
    assert.equal(cart.checksFailed, 0);
    // view hits /api/cart/55 which the shop answers 404: counted as errors, not lost.
    assert.equal(summary.steps.view?.statusCodes['404'], summary.steps.view?.requests);
  });

  it('deals feeder rows to shards and sends extra headers', async () => {
    const seen: string[] = [];
    const base = await serve((req, body, res) => {
      seen.push(`${req.headers['x-user']}|${req.headers['x-loadline-shadow']}|${body}`);
      res.end('{}');
    });
    const dir = mkdtempSync(join(tmpdir(), 'loadline-feeder-'));
    writeFileSync(join(dir, 'users.csv'), 'id,name\n1,a\n2,b\n3,c\n4,d\n5,e\n6,f\n');
    const scenario = scenarioOf(`
name: feed
target: ${base}
load: { rate: 60, duration: 100ms }
feeders: { users: { file: users.csv } }
flows:
  - name: f
    steps:
      - name: s
        request: { method: POST, path: /, headers: { x-user: "\${users.id}" }, body: "name=\${users.name}" }
`);
    await runFlows(
      scenario,
      { kind: 'open', profile: constantRate(60, 100), maxInFlight: 100 },
      {
        baseDir: dir,
        shard: { index: 1, count: 2 },
        extraHeaders: [['x-loadline-shadow', 'run_test']],
      },
    );
    // 6 iterations over this shard's 3 rows (the even ones): each row twice, in order.
    assert.deepEqual(seen, [
      '2|run_test|name=b',
      '4|run_test|name=d',
      '6|run_test|name=f',
      '2|run_test|name=b',
      '4|run_test|name=d',
      '6|run_test|name=f',
    ]);
  });

  it('counts refused connections per step and fails the iterations', async () => {
    const base = await serve(shop);
    for (const close of closers.splice(0)) close();
    await new Promise((r) => setTimeout(r, 50));
    const scenario = scenarioOf(`
name: down
target: ${base}
load: { rate: 100, duration: 500ms }
flows: [{ name: f, steps: [{ name: a, request: { path: / } }, { name: b, request: { path: / } }] }]
`);
    const { summary } = await runFlows(scenario, {
      kind: 'open',
      profile: constantRate(100, 500),
      maxInFlight: 100,
    });
    assert.equal(summary.steps.a?.requests, 50);
    assert.deepEqual(summary.steps.a?.transportErrors, { ECONNREFUSED: 50 });
    assert.equal(summary.steps.b?.requests ?? 0, 0, 'later steps do not run after a failure');
    assert.equal(summary.iterations.failed, 50);
  });
});
