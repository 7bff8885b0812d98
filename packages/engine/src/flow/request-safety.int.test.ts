// Values a scenario's requests take from feeders or from the target's own answers, and
// captured requests a replay sends, against a real target on 127.0.0.1 that keeps every
// byte it receives. The target behaves like a naive gateway: a request whose Host header
// or request target names another origin is forwarded there, so a request that leaves
// the target's origin would reach the second listener, which must receive nothing.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ReplayModel, ReplaySend } from '@loadline/api';
import { parseScenario, type Scenario } from '@loadline/scenario';
import { constantRate } from '../schedule.js';
import { compileScenario } from './compile.js';
import type { FeederRow } from './feeders.js';
import { compileReplay } from './replay.js';
import { FlowRunner } from './runner.js';
import { INVALID_REQUEST } from './sendable.js';
import { summarizeFlows } from './summary.js';

const closers: Array<() => void> = [];
after(() => {
  for (const close of closers) close();
});

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    if (server instanceof http.Server) server.closeAllConnections();
    server.close();
  });
  return (server.address() as net.AddressInfo).port;
}

/** Requests the second listener received (it must stay 0). */
let elsewhere = 0;
let elsewhereUrl = '';
/** What the target's HTTP server parsed, by URL, and every byte that came in on the wire. */
let received: string[] = [];
let raw = '';
let target = '';

/** What the target's /start answers: values a later step extracts and sends on. */
const poisoned = () => ({
  inject: 'v\r\nX-Injected: 1',
  smuggle: 'x HTTP/1.1\r\nHost: a\r\n\r\nGET /smuggled',
  latin: '\u010d\u010aX-Injected: 1',
  absolute: `${elsewhereUrl}/stolen`,
  protocolRelative: `//${new URL(elsewhereUrl).host}/stolen`,
  benign: 'fine',
});

before(async () => {
  elsewhereUrl = `http://127.0.0.1:${await listen(
    http.createServer((_req, res) => {
      elsewhere++;
      res.end('stolen');
    }),
  )}`;
  let front = '';
  const gateway = http.createServer((req, res) => {
    received.push(req.url ?? '');
    const destination = new URL(req.url ?? '/', `http://${req.headers.host ?? front}`);
    if (destination.host !== front) {
      // The naive gateway: wherever the request says it is going.
      http.get(destination, (upstream) => upstream.pipe(res)).on('error', () => res.end());
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(req.url === '/start' ? JSON.stringify(poisoned()) : '{}');
  });
  const gatewayPort = await listen(gateway);
  // In front of it, a relay that keeps the raw bytes: what really reached the target.
  const relay = net.createServer((socket) => {
    const upstream = net.connect(gatewayPort, '127.0.0.1');
    socket.on('data', (chunk) => {
      raw += chunk.toString('latin1');
      upstream.write(chunk);
    });
    upstream.pipe(socket);
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  front = `127.0.0.1:${await listen(relay)}`;
  target = `http://${front}`;
});

beforeEach(() => {
  elsewhere = 0;
  received = [];
  raw = '';
});

/** Request lines on the wire: one per request the target was sent. */
const requestLines = () => raw.match(/^[A-Z]+ \S+ HTTP\/1\.1\r$/gm) ?? [];

function assertNothingSmuggled(expected: string[]): void {
  assert.deepEqual(received.sort(), expected.sort(), 'the requests the target parsed');
  assert.equal(requestLines().length, expected.length, 'request lines on the wire');
  assert.doesNotMatch(raw, /X-Injected/i, 'no injected header');
  assert.doesNotMatch(raw, /smuggled|stolen/, 'no smuggled request or foreign target');
  assert.equal(elsewhere, 0, 'the second listener received nothing');
}

function twoSteps(second: string): Scenario {
  const result = parseScenario(`
name: safety
target: ${target}
load: { rate: 20, duration: 250ms }
feeders: { users: { file: users.csv } }
flows:
  - name: f
    steps:
      - name: start
        request: { path: /start }
        extract:
          inject: json $.inject
          smuggle: json $.smuggle
          latin: json $.latin
          absolute: json $.absolute
          protocolRelative: json $.protocolRelative
          benign: json $.benign
      - name: second
        request: ${second}
`);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  return result.scenario;
}

async function run(
  scenario: Scenario,
  options: { rows?: FeederRow[]; extraHeaders?: [string, string][] } = {},
) {
  const plan = compileScenario(scenario, {
    feederRows: { users: options.rows ?? [{ id: '7' }] },
  });
  const runner = new FlowRunner({
    plan,
    model: { kind: 'open', profile: constantRate(20, 250), maxInFlight: 50 },
    runId: 'run_safety',
    ...(options.extraHeaders ? { extraHeaders: options.extraHeaders } : {}),
  });
  return summarizeFlows((await runner.run()).totals);
}

const starts = (n: number) => Array<string>(n).fill('/start');

describe('rendered values that would break a request are never sent', () => {
  it('the harness sees a benign second step, and the gateway forwards a Host override', async () => {
    const summary = await run(
      twoSteps('{ path: "/next/${benign}", headers: { x-a: "${benign}" } }'),
    );
    assert.equal(summary.steps.second?.requests, 5);
    assertNothingSmuggled([...starts(5), ...Array<string>(5).fill('/next/fine')]);
    // The gateway does forward a foreign Host: what the refusals below keep from happening.
    await new Promise<void>((resolve) => {
      http.get(`${target}/x`, { headers: { host: new URL(elsewhereUrl).host } }, (res) => {
        res.resume().on('end', resolve);
      });
    });
    assert.equal(elsewhere, 1);
  });

  for (const [what, request] of [
    ['a line break extracted into a header', '{ path: /next, headers: { x-a: "${inject}" } }'],
    ['a line break extracted into the path', '{ path: "/next?q=${smuggle}" }'],
    [
      'a character beyond Latin-1 (U+010A goes out as LF)',
      '{ path: /n, headers: { x-a: "${latin}" } }',
    ],
    ['an absolute-form target extracted as the path', '{ path: "${absolute}" }'],
    ['a protocol-relative target extracted as the path', '{ path: "${protocolRelative}" }'],
    ['a line break from a feeder row', '{ path: /next, headers: { x-user: "${users.id}" } }'],
  ] as const) {
    it(`refuses ${what}: counted, and nothing reaches the socket`, async () => {
      const summary = await run(twoSteps(request), {
        rows: [{ id: '1\r\nX-Injected: 1\r\n\r\nGET /smuggled HTTP/1.1' }],
      });
      assertNothingSmuggled(starts(5));
      assert.deepEqual(summary.steps.second?.transportErrors, { [INVALID_REQUEST]: 5 });
      assert.equal(summary.steps.start?.requests, 5);
      assert.equal(summary.iterations.failed, 5);
    });
  }
});

describe('a scenario that skipped validation (a job written straight into Redis)', () => {
  /** The valid scenario with headers/body validation would have refused. */
  function forged(headers: Record<string, string>, body?: string): Scenario {
    const scenario = twoSteps('{ method: POST, path: /next }');
    const step = scenario.flows[0]!.steps[1]!;
    step.request.headers = headers;
    if (body !== undefined) step.request.body = body;
    return scenario;
  }
  const shadow: [string, string][] = [
    ['x-loadline-shadow', 'run_safety.1.sig'],
    ['baggage', 'loadline-shadow=run_safety.1.sig'],
  ];

  it('cannot send a Host of its own', async () => {
    const summary = await run(forged({ Host: new URL(elsewhereUrl).host }));
    assertNothingSmuggled(starts(5));
    assert.deepEqual(summary.steps.second?.transportErrors, { [INVALID_REQUEST]: 5 });
  });

  it('cannot frame its own body (Content-Length: 0 and a request in the body)', async () => {
    const summary = await run(
      forged({ 'Content-Length': '0' }, 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n'),
    );
    assertNothingSmuggled(starts(5));
    assert.deepEqual(summary.steps.second?.transportErrors, { [INVALID_REQUEST]: 5 });
  });

  it('cannot add a second shadow tag or baggage: the run carries exactly one of each', async () => {
    for (const header of ['X-Loadline-Shadow', 'baggage']) {
      raw = '';
      received = [];
      const summary = await run(forged({ [header]: 'forged' }), { extraHeaders: shadow });
      assertNothingSmuggled(starts(5));
      assert.deepEqual(summary.steps.second?.transportErrors, { [INVALID_REQUEST]: 5 }, header);
      assert.doesNotMatch(raw, /forged/);
    }
    raw = '';
    received = [];
    await run(forged({ 'x-other': 'ok' }), { extraHeaders: shadow });
    assert.equal(received.length, 10);
    assert.equal(raw.match(/^x-loadline-shadow: /gim)?.length, 10, 'one tag per request');
    assert.equal(raw.match(/^baggage: /gim)?.length, 10, 'one baggage per request');
  });
});

describe('replay sends are held to the same rules', () => {
  const good: ReplaySend = {
    at: 0,
    step: 1,
    session: 0,
    method: 'GET',
    path: '/good',
    headers: [],
  };
  const bad = (send: Partial<ReplaySend>): ReplaySend => ({
    ...good,
    step: 0,
    path: '/bad',
    ...send,
  });

  it('refuses every send that would smuggle, inject or leave the target', async () => {
    const other = new URL(elsewhereUrl).host;
    const sends: ReplaySend[] = [
      bad({ path: '/bad\r\nX-Injected: 1' }),
      bad({ path: '/bad HTTP/1.1\r\nHost: a\r\n\r\nGET /smuggled' }),
      bad({ path: `//${other}/stolen` }),
      bad({ path: `http://${other}/stolen` }),
      bad({ headers: [['Host', other]] }),
      bad({ headers: [['x-a', 'v\r\nX-Injected: 1']] }),
      bad({ headers: [['x-a', '\u010aX-Injected: 1']] }),
      bad({ headers: [['X-Injected: 1\r\nx-a', 'v']] }),
      bad({ headers: [['x-loadline-shadow', 'forged']] }),
      bad({ headers: [['Baggage', 'forged']] }),
      bad({ method: 'GET /smuggled HTTP/1.1\r\n\r\nGET' }),
      good,
    ].map((send, i) => ({ ...send, at: i * 5, session: i }));
    const model: ReplayModel = { kind: 'replay', steps: ['bad', 'good'], sends, maxInFlight: 50 };
    const runner = new FlowRunner({
      plan: compileReplay('replay-safety', target, model),
      model,
      runId: 'run_safety',
      extraHeaders: [['x-loadline-shadow', 'run_safety.1.sig']],
    });
    const summary = summarizeFlows((await runner.run()).totals);
    assertNothingSmuggled(['/good']);
    assert.deepEqual(summary.steps.bad?.transportErrors, { [INVALID_REQUEST]: 11 });
    assert.equal(summary.steps.good?.requests, 1);
    assert.doesNotMatch(raw, /forged/);
  });
});
