// The N of a USL fit, checked against a service whose concurrency is known: six clients in
// a closed loop, each waiting for its answer before it asks again, keep at most six requests
// in the service (less the moments between an answer and the next request), and the service
// counts how many it holds, sampled every 2 ms: the truth. Control's scraper reads the
// service's own Prometheus histogram; Little's law on it (busy seconds over the seconds
// passed) must find that, where QPS × p99, the fallback without a `_sum`, overstates it.
import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { measurementsFromRuns } from '@loadline/capacity';
import { type TargetMetricRow, TargetScraper } from '@loadline/metrics';
import { closeHttp, serveHttp } from './support.js';

const CLIENTS = 6;
const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1];

let server: http.Server;
let base = '';
const served = { count: 0, sum: 0, buckets: BOUNDS.map(() => 0) };
let next = 0;
let holding = 0;

/** The service's own exposition: a request counter and its latency histogram. */
function exposition(): string {
  const lines = [`http_requests_total ${served.count}`];
  BOUNDS.forEach((le, i) => {
    lines.push(`http_request_duration_seconds_bucket{le="${le}"} ${served.buckets[i]}`);
  });
  lines.push(`http_request_duration_seconds_bucket{le="+Inf"} ${served.count}`);
  lines.push(`http_request_duration_seconds_sum ${served.sum}`);
  lines.push(`http_request_duration_seconds_count ${served.count}`);
  return `${lines.join('\n')}\n`;
}

before(async () => {
  ({ server, base } = await serveHttp((req, res) => {
    if (req.url === '/metrics') {
      res.end(exposition());
      return;
    }
    // Held 100–300 ms (mean 200), spread evenly: p99 near 300 ms, far above the mean.
    const holdMs = 100 + ((next++ * 37) % 201);
    const started = performance.now();
    holding++;
    setTimeout(() => {
      holding--;
      res.end('ok');
      const seconds = (performance.now() - started) / 1000;
      served.count++;
      served.sum += seconds;
      BOUNDS.forEach((le, i) => {
        if (seconds <= le) served.buckets[i]!++;
      });
    }, holdMs);
  }));
});
after(() => closeHttp(server));

describe("the USL's concurrency from a service's own metrics (Little's law)", () => {
  it('finds the six requests six closed-loop clients keep in flight', async () => {
    const rows: TargetMetricRow[] = [];
    const scraper = new TargetScraper('run_little', [{ service: 'svc', url: `${base}/metrics` }], {
      onRows: async (found) => {
        rows.push(...found);
      },
    });
    await scraper.scrape(1); // the baseline
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(holding), 2);
    const deadline = Date.now() + 3000;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        // bounded: 3 s, at most 200 requests a client
        for (let i = 0; i < 200 && Date.now() < deadline; i++) await (await fetch(base)).text();
      }),
    );
    await scraper.scrape(2);
    clearInterval(sampler);
    const truth = samples.reduce((a, b) => a + b, 0) / samples.length;

    assert.ok(truth > CLIENTS * 0.8 && truth <= CLIENTS, `${truth} held on average`);
    assert.equal(rows.length, 1);
    const [row] = rows;
    assert.ok(row!.busySeconds! > 0, JSON.stringify(row));
    const { services } = measurementsFromRuns(
      [{ runId: 'run_little', targetMetrics: rows, steps: {} }],
      { slo: { p99Ms: 1000 }, levelSeconds: 10 },
    );
    const [level] = services.svc!.ramp;
    const concurrency = level!.concurrency!;
    assert.ok(
      Math.abs(concurrency / truth - 1) < 0.07, // measured 0.97–1.00, two CPU hogs beside
      `Little's law found ${concurrency.toFixed(2)} in flight; the service held ${truth.toFixed(2)}`,
    );
    // What the fit used before: QPS × p99, half as much again with this spread.
    const byP99 = (level!.qps * level!.p99Ms) / 1000;
    assert.ok(byP99 > truth * 1.3, `QPS × p99 gives ${byP99.toFixed(2)} for ${truth.toFixed(2)}`);
  });
});
