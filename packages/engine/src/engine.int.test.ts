import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { latencyAtPercentileMs, summarizeLatency } from '@loadline/histogram';
import { type EngineOptions, LoadEngine } from './engine.js';
import type { IntervalReport, RunReport } from './events.js';
import { constantRate } from './schedule.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

interface TestServer {
  url: URL;
  served: () => number;
  close: () => Promise<void>;
}

const servers: TestServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function listen(server: http.Server, scheme: 'http' | 'https'): Promise<URL> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return new URL(`${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}/`);
}

async function startServer(handler: Handler): Promise<TestServer> {
  let served = 0;
  const server = http.createServer((req, res) => {
    served++;
    handler(req, res);
  });
  const url = await listen(server, 'http');
  const handle = {
    url,
    served: () => served,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(handle);
  return handle;
}

function run(
  url: URL,
  model: EngineOptions['model'],
  extra: Partial<EngineOptions> = {},
): Promise<{ report: RunReport; intervals: IntervalReport[] }> {
  const engine = new LoadEngine({ target: { url, method: 'GET', headers: [] }, model, ...extra });
  const intervals: IntervalReport[] = [];
  engine.on('interval', (interval) => intervals.push(interval));
  return engine.run().then((report) => ({ report, intervals }));
}

const hello: Handler = (_req, res) => res.end('hello');

describe('open model', () => {
  it('sends exactly the scheduled count at the intended rate', async () => {
    const server = await startServer(hello);
    const { report, intervals } = await run(server.url, {
      kind: 'open',
      profile: constantRate(1000, 3000),
      maxInFlight: 1000,
    });
    assert.equal(report.scheduled, 3000);
    assert.equal(report.requests, 3000);
    assert.equal(server.served(), 3000);
    assert.equal(report.errors, 0);
    assert.equal(report.dropped, 0);
    assert.deepEqual(report.statusCodes, { '200': 3000 });
    assert.ok(Math.abs(report.achievedRps - 1000) / 1000 < 0.01, `achieved ${report.achievedRps}`);
    assert.equal(report.targetRps, 1000);
    // Per-second intervals hold every request, and their histograms merge to the total.
    assert.equal(
      intervals.reduce((n, i) => n + i.requests, 0),
      3000,
    );
    assert.equal(
      intervals.reduce((n, i) => n + i.histogram.totalCount, 0),
      report.histogram.totalCount,
    );
    for (const interval of intervals.slice(0, 3)) {
      assert.ok(
        Math.abs(interval.requests - 1000) <= 30,
        `interval ${interval.index}: ${interval.requests}`,
      );
    }
  });

  it('includes a stall in the latency (measured from the intended send time)', async () => {
    // The target holds every request that arrives in [1000, 1400) ms of its clock
    // until 1400 ms. Requests are 2 ms apart, so ~200 of them wait 0–400 ms.
    const start = performance.now();
    const server = await startServer((_req, res) => {
      const t = performance.now() - start;
      if (t >= 1000 && t < 1400) setTimeout(() => res.end('late'), 1400 - t);
      else res.end('ok');
    });
    const { report } = await run(server.url, {
      kind: 'open',
      profile: constantRate(500, 2000),
      maxInFlight: 1000,
    });
    assert.equal(report.requests, 1000);
    const max = summarizeLatency(report.histogram).max;
    assert.ok(max > 350 && max < 500, `max ${max} ms should be the ~400 ms stall`);
    // ~20% of requests fall in the stall: p90 is inside it, p50 is not.
    const p90 = latencyAtPercentileMs(report.histogram, 90);
    const p50 = latencyAtPercentileMs(report.histogram, 50);
    assert.ok(p90 > 100, `p90 ${p90} ms must show the stall`);
    assert.ok(p50 < 50, `p50 ${p50} ms is outside the stall`);
  });

  it('counts status codes and errors exactly', async () => {
    let n = 0;
    const server = await startServer((_req, res) => {
      n++;
      res.statusCode = n % 4 === 0 ? 503 : n % 4 === 1 ? 404 : n % 4 === 2 ? 302 : 200;
      res.end();
    });
    const { report } = await run(server.url, {
      kind: 'open',
      profile: constantRate(400, 1000),
      maxInFlight: 1000,
    });
    assert.deepEqual(report.statusCodes, { '200': 100, '302': 100, '404': 100, '503': 100 });
    assert.equal(report.errors, 200, '404 and 503 are errors; 2xx and 3xx are not');
  });

  it('counts refused connections as transport errors, one per arrival', async () => {
    const server = await startServer(hello);
    await server.close();
    const { report } = await run(server.url, {
      kind: 'open',
      profile: constantRate(200, 1000),
      maxInFlight: 1000,
    });
    assert.equal(report.requests, 200);
    assert.equal(report.errors, 200);
    assert.deepEqual(report.transportErrors, { ECONNREFUSED: 200 });
    assert.deepEqual(report.statusCodes, {});
  });

  it('drops arrivals beyond --max-in-flight and fails what never answers', async () => {
    const server = await startServer(() => {
      /* never answers */
    });
    const { report } = await run(
      server.url,
      { kind: 'open', profile: constantRate(200, 1000), maxInFlight: 20 },
      { gracefulStopMs: 100 },
    );
    assert.equal(report.scheduled, 200);
    assert.equal(report.dropped, 180);
    assert.equal(report.requests, 20);
    assert.deepEqual(report.transportErrors, { EUNFINISHED: 20 });
  });

  it('counts sends that left late when the generator itself stalls', async () => {
    const server = await startServer(hello);
    // Block this process's event loop for 300 ms in the middle of the run.
    const blocker = setTimeout(() => {
      const until = performance.now() + 300;
      while (performance.now() < until) {
        /* busy */
      }
    }, 500);
    const { report } = await run(server.url, {
      kind: 'open',
      profile: constantRate(500, 1500),
      maxInFlight: 1000,
    });
    clearTimeout(blocker);
    assert.equal(report.requests, 750);
    // 300 ms at 500 rps = 150 arrivals were due during the block; all but those in the
    // last 10 ms (the late threshold) left late.
    assert.ok(report.late >= 140 && report.late <= 175, `late ${report.late}`);
    const max = summarizeLatency(report.histogram).max;
    assert.ok(max >= 290, `the block shows in latency too (max ${max} ms)`);
  });

  it('ramps through stages', async () => {
    const server = await startServer(hello);
    const { report, intervals } = await run(server.url, {
      kind: 'open',
      profile: { startRate: 0, stages: [{ durationMs: 2000, target: 600 }] },
      maxInFlight: 1000,
    });
    assert.equal(report.requests, 600);
    // First second of a 0→600 ramp carries 1/4 of the arrivals, the second 3/4.
    assert.ok(Math.abs((intervals[0]?.requests ?? 0) - 150) <= 10, `${intervals[0]?.requests}`);
    assert.ok(Math.abs((intervals[1]?.requests ?? 0) - 450) <= 10, `${intervals[1]?.requests}`);
  });

  it('stops within a second when asked', async () => {
    const server = await startServer(hello);
    const engine = new LoadEngine({
      target: { url: server.url, method: 'GET', headers: [] },
      model: { kind: 'open', profile: constantRate(500, 60_000), maxInFlight: 1000 },
    });
    const started = performance.now();
    setTimeout(() => engine.stop('guardrail'), 300);
    const report = await engine.run();
    const took = performance.now() - started;
    assert.ok(took < 1300, `stopped after ${took} ms`);
    assert.equal(report.aborted, true);
    assert.equal(report.abortReason, 'guardrail');
    assert.ok(report.requests > 100 && report.requests < 300, `${report.requests}`);
  });
});

describe('closed model', () => {
  it('keeps N connections busy and counts every response', async () => {
    const server = await startServer(hello);
    const { report } = await run(server.url, { kind: 'closed', connections: 4, durationMs: 1000 });
    assert.ok(report.requests > 1000, `${report.requests} requests`);
    assert.equal(report.requests, server.served());
    assert.equal(report.peakConnections, 4);
    assert.equal(report.targetRps, null);
    assert.equal(report.errors, 0);
  });

  it('pipelines requests and matches responses in order', async () => {
    let n = 0;
    const server = await startServer((_req, res) => {
      n++;
      res.statusCode = n % 2 === 0 ? 201 : 200;
      // Alternate chunked and fixed-length bodies.
      if (n % 3 === 0) {
        res.write('part one,');
        res.end('part two');
      } else {
        res.end('fixed');
      }
    });
    const { report } = await run(
      server.url,
      { kind: 'closed', connections: 2, durationMs: 800 },
      { pipelining: 8 },
    );
    assert.equal(report.errors, 0);
    assert.equal(report.requests, server.served());
    const ok = report.statusCodes['200'] ?? 0;
    const created = report.statusCodes['201'] ?? 0;
    assert.ok(Math.abs(ok - created) <= 1, `${ok} vs ${created}`);
  });
});

describe('https', () => {
  it('loads an HTTPS target', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'loadline-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
    } catch {
      t.skip('openssl is not installed: cannot make a test certificate');
      return;
    }
    const server = https.createServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (_req, res) => res.end('secure'),
    );
    const url = await listen(server, 'https');
    t.after(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    const refused = await run(url, {
      kind: 'open',
      profile: constantRate(50, 200),
      maxInFlight: 100,
    });
    assert.equal(
      refused.report.errors,
      refused.report.requests,
      'self-signed is refused by default',
    );
    assert.ok(Object.keys(refused.report.transportErrors)[0]?.includes('SELF_SIGNED'));
    const { report } = await run(
      url,
      { kind: 'open', profile: constantRate(200, 1000), maxInFlight: 100 },
      { insecure: true },
    );
    assert.equal(report.requests, 200);
    assert.deepEqual(report.statusCodes, { '200': 200 });
  });
});
