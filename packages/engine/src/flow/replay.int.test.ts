import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import type { ReplayModel, ReplaySend } from '@loadline/api';
import { compileReplay } from './replay.js';
import { FlowRunner } from './runner.js';
import { summarizeFlows } from './summary.js';

interface Arrival {
  at: number;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const closers: Array<() => void> = [];
after(() => {
  for (const close of closers) close();
});

/** A target on 127.0.0.1 that notes when each request arrived (epoch ms). */
async function serve(delayMs = 0): Promise<{ url: string; arrivals: Arrival[] }> {
  const arrivals: Arrival[] = [];
  const server = http.createServer((req, res) => {
    const at = performance.timeOrigin + performance.now();
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      arrivals.push({
        at,
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
      });
      const reply = () => res.end('ok');
      if (delayMs > 0) setTimeout(reply, delayMs);
      else reply();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, arrivals };
}

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STEPS = ['GET /api/products/{id}', 'GET /api/products', 'POST /api/cart'];

/** `count` captured requests over `spanMs` in `sessions` sessions, replayed × `speed`. */
function corpusSends(count: number, spanMs: number, sessions: number, speed: number): ReplaySend[] {
  const next = random(7);
  const offsets = Array.from({ length: count }, () => Math.round(next() * spanMs)).sort(
    (a, b) => a - b,
  );
  offsets[count - 1] = spanMs;
  const seq = new Array<number>(sessions).fill(0);
  return offsets.map((offset, i) => {
    const session = i % sessions;
    const step = i % 3;
    const headers: Array<[string, string]> = [
      ['x-session', `s${session}`],
      ['x-seq', String(seq[session]!++)],
      ['x-due', String(offset / speed)],
    ];
    return step === 2
      ? {
          at: offset / speed,
          step,
          session,
          method: 'POST',
          path: '/api/cart',
          headers,
          body: '{"sku":1}',
        }
      : {
          at: offset / speed,
          step,
          session,
          method: 'GET',
          path: step === 0 ? `/api/products/${i}` : '/api/products?page=2',
          headers,
        };
  });
}

async function replay(
  target: string,
  model: ReplayModel,
  options: { startAt?: number; extraHeaders?: [string, string][]; lateThresholdMs?: number } = {},
) {
  const plan = compileReplay('replay-test', target, model);
  const runner = new FlowRunner({ plan, model, runId: 'run_replay', ...options });
  const report = await runner.run();
  return { report, summary: summarizeFlows(report.totals, model.steps) };
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

describe('FlowRunner replay model', () => {
  it('sends the exact captured request to the target, with the run headers', async () => {
    const { url, arrivals } = await serve();
    const model: ReplayModel = {
      kind: 'replay',
      steps: ['POST /api/orders', 'GET /img/{id}.png'],
      sends: [
        {
          at: 0,
          step: 0,
          method: 'POST',
          path: '/api/orders?src=app',
          headers: [
            ['Content-Type', 'application/json'],
            ['Content-Length', '999'],
            ['Connection', 'close'],
            ['Accept', 'a/b'],
            ['Accept', 'c/d'],
          ],
          body: '{"sku":42,"qty":1}',
        },
        {
          at: 5,
          step: 1,
          method: 'GET',
          path: '/img/7.png',
          headers: [],
          body: Buffer.from([0, 255, 1]).toString('base64'),
          bodyEncoding: 'base64',
        },
      ],
      maxInFlight: 10,
    };
    const { summary } = await replay(url, model, {
      extraHeaders: [['x-loadline-shadow', 'run_replay']],
    });
    assert.equal(arrivals.length, 2);
    const [order, image] = arrivals as [Arrival, Arrival];
    assert.equal(order.method, 'POST');
    assert.equal(order.url, '/api/orders?src=app');
    assert.equal(order.body, '{"sku":42,"qty":1}');
    assert.equal(order.headers.host, new URL(url).host, 'host comes from the target');
    assert.equal(order.headers['content-length'], '18', 'length from the body as sent');
    assert.equal(order.headers['x-loadline-shadow'], 'run_replay', 'the run tag is added');
    assert.equal(order.headers.connection, undefined, 'connection headers are not replayed');
    assert.equal(order.headers.accept, 'a/b, c/d', 'duplicate headers stay two');
    assert.equal(Buffer.from(image.body, 'latin1').length, 3);
    assert.equal(summary.steps['POST /api/orders']?.requests, 1);
    assert.equal(summary.steps['GET /img/{id}.png']?.requests, 1);
  });

  it('keeps each session in order and names steps by template', async () => {
    const { url, arrivals } = await serve();
    // 300 requests over 3 s in 20 sessions: many sends in flight at once.
    const sends = corpusSends(300, 3000, 20, 1);
    const model: ReplayModel = { kind: 'replay', steps: STEPS, sends, maxInFlight: 1000 };
    const { summary } = await replay(url, model);
    assert.equal(arrivals.length, 300);
    const last = new Map<string, number>();
    for (const arrival of arrivals) {
      const session = arrival.headers['x-session'] as string;
      const seq = Number(arrival.headers['x-seq']);
      assert.ok(seq > (last.get(session) ?? -1), `session ${session} out of order at ${seq}`);
      last.set(session, seq);
    }
    assert.equal(summary.total.requests, 300);
    assert.deepEqual(
      STEPS.map((step) => summary.steps[step]?.requests),
      [100, 100, 100],
    );
    assert.equal(summary.dropped, 0);
  });

  it("holds a session's next send until its previous answer is back (counted late)", async () => {
    // Even requests take 40 ms; a session's sends are due 5 ms apart. A send that left
    // before its predecessor's answer would find the session busy at the server.
    const busy = new Map<string, number>();
    let overlaps = 0;
    const order: string[] = [];
    const server = http.createServer((req, res) => {
      const session = req.headers['x-session'] as string;
      const seq = Number(req.headers['x-seq']);
      if ((busy.get(session) ?? 0) > 0) overlaps++;
      busy.set(session, (busy.get(session) ?? 0) + 1);
      order.push(`${session}:${seq}`);
      setTimeout(
        () => {
          busy.set(session, (busy.get(session) ?? 1) - 1);
          res.end('ok');
        },
        seq % 2 === 0 ? 40 : 0,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const sends: ReplaySend[] = [];
      for (let i = 0; i < 40; i++) {
        const session = i % 4;
        sends.push({
          at: Math.floor(i / 4) * 5,
          step: 0,
          session,
          method: 'GET',
          path: '/api/products/1',
          headers: [
            ['x-session', `s${session}`],
            ['x-seq', String(Math.floor(i / 4))],
          ],
        });
      }
      const model: ReplayModel = { kind: 'replay', steps: STEPS, sends, maxInFlight: 100 };
      const { summary } = await replay(url, model);
      assert.equal(summary.total.requests, 40);
      assert.equal(overlaps, 0, 'no session had two requests at the server at once');
      for (let s = 0; s < 4; s++) {
        const seqs = order
          .filter((o) => o.startsWith(`s${s}:`))
          .map((o) => Number(o.split(':')[1]));
        assert.deepEqual(
          seqs,
          [...seqs].sort((a, b) => a - b),
          `session ${s} in order`,
        );
      }
      assert.ok(summary.late > 0, 'sends that waited for their session are late');
      assert.equal(summary.dropped, 0);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('counts dropped sends when maxInFlight is reached on a stalled target', async () => {
    const { url, arrivals } = await serve(1500);
    // 100 sends over 1 s against a target that answers after 1.5 s; 5 may be in flight.
    const sends = Array.from({ length: 100 }, (_, i) => ({
      at: i * 10,
      step: 0,
      method: 'GET',
      path: `/api/products/${i}`,
      headers: [] as Array<[string, string]>,
    }));
    const { summary, report } = await replay(url, {
      kind: 'replay',
      steps: ['GET /api/products/{id}'],
      sends,
      maxInFlight: 5,
    });
    assert.equal(summary.total.requests, 5);
    assert.equal(summary.dropped, 95, 'every send the agent could not make is counted');
    assert.equal(summary.total.requests + summary.dropped, sends.length);
    assert.equal(arrivals.length, 5);
    // Coordinated omission: latency from the intended time, so ≥ the target's 1.5 s.
    assert.ok(summary.total.latencyMs.p50 >= 1400, JSON.stringify(summary.total.latencyMs));
    assert.ok(report.durationS >= 0.98 && report.durationS < 1.1, String(report.durationS));
  });

  it('counts late sends when the agent stalls, and measures from the intended time', async () => {
    const { url } = await serve();
    const sends = Array.from({ length: 50 }, (_, i) => ({
      at: i * 10,
      step: 0,
      method: 'GET',
      path: '/api/products/1',
      headers: [] as Array<[string, string]>,
    }));
    const model: ReplayModel = {
      kind: 'replay',
      steps: ['GET /api/products/{id}'],
      sends,
      maxInFlight: 100,
    };
    // Block the event loop from 100 ms to 300 ms: the ~20 sends due then leave late.
    const stall = setTimeout(() => {
      const until = performance.now() + 200;
      while (performance.now() < until) {}
    }, 100);
    const { summary } = await replay(url, model, { lateThresholdMs: 10 });
    clearTimeout(stall);
    assert.equal(summary.total.requests, 50);
    assert.ok(summary.late >= 15 && summary.late <= 25, `late ${summary.late}`);
    assert.ok(summary.total.latencyMs.max >= 150, JSON.stringify(summary.total.latencyMs));
  });

  it('replays a one-minute corpus at speed 2 in 30 s, each send on time', async () => {
    const { url, arrivals } = await serve();
    const sends = corpusSends(1200, 60_000, 12, 2);
    const startAt = Date.now() + 300;
    const { summary, report } = await replay(
      url,
      { kind: 'replay', steps: STEPS, sends, maxInFlight: 1000 },
      { startAt },
    );
    assert.equal(arrivals.length, 1200);
    assert.equal(summary.total.requests, 1200);
    assert.equal(summary.dropped, 0);
    const span = (arrivals.at(-1)!.at - arrivals[0]!.at) / 1000;
    const intended = (sends.at(-1)!.at - sends[0]!.at) / 1000;
    const errors = arrivals.map((a) => a.at - (startAt + Number(a.headers['x-due'])));
    const figures = {
      intendedS: intended,
      spanS: span,
      durationS: report.durationS,
      offsetMs: {
        p50: quantile(errors, 0.5),
        p99: quantile(errors, 0.99),
        max: Math.max(...errors),
      },
      late: summary.late,
    };
    console.log(`replay ×2 timing: ${JSON.stringify(figures)}`);
    assert.ok(Math.abs(span / intended - 1) < 0.05, JSON.stringify(figures));
    assert.ok(Math.abs(report.durationS / 30 - 1) < 0.05, JSON.stringify(figures));
    assert.ok(quantile(errors, 0.99) < 50, JSON.stringify(figures));
    assert.ok(Math.min(...errors) > -5, 'nothing leaves before its time');
  });
});
