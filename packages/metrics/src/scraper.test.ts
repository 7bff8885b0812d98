import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type IntervalBuckets, type TargetMetricRow, TargetScraper } from './scraper.js';

let server: http.Server;
let base = '';
let requests = 0;
let cpu = 0;
let broken = false;

describe('TargetScraper against a real /metrics endpoint', () => {
  before(async () => {
    server = http.createServer((_req, res) => {
      if (broken) {
        res.statusCode = 503;
        res.end();
        return;
      }
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end(
        [
          `http_requests_total{route="/x"} ${requests}`,
          `http_request_duration_seconds_bucket{le="0.01"} ${requests / 2}`,
          `http_request_duration_seconds_bucket{le="0.1"} ${requests}`,
          `http_request_duration_seconds_bucket{le="+Inf"} ${requests}`,
          `demo_cpu_seconds_total ${cpu}`,
          // a pool per database, 10 connections each; and the event loop's delay
          `db_pool_in_use{db="orders"} 3`,
          `db_pool_in_use{db="users"} 4`,
          `db_pool_size{db="orders"} 10`,
          `db_pool_size{db="users"} 10`,
          'loop_delay_seconds 0.05',
          '',
        ].join('\n'),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it('turns two readings into per-interval increases, and says once when a target fails', async () => {
    const rows: TargetMetricRow[] = [];
    const buckets: IntervalBuckets[] = [];
    const log: string[] = [];
    const scraper = new TargetScraper(
      'run_1',
      [{ service: 'catalog', url: `${base}/metrics`, cpuMetric: 'demo_cpu_seconds_total' }],
      {
        onRows: (r) => void rows.push(...r),
        onBuckets: (b) => void buckets.push(...b),
        log: (l) => log.push(l),
      },
    );
    assert.deepEqual(await scraper.scrape(), [], 'the first reading is the baseline');
    requests += 200;
    cpu += 0.25;
    const [row] = await scraper.scrape();
    assert.ok(row);
    assert.equal(row.service, 'catalog');
    assert.equal(row.requests, 200);
    assert.equal(row.cpuSeconds, 0.25);
    assert.equal(row.p50Ms, 10);
    assert.ok(row.p99Ms > 10 && row.p99Ms <= 100, `p99 ${row.p99Ms}`);
    assert.deepEqual(rows, [row]);
    assert.deepEqual(buckets, [
      {
        service: 'catalog',
        instance: `${base}/metrics`,
        second: row.second,
        buckets: new Map([
          [0.01, 100],
          [0.1, 200],
          [Number.POSITIVE_INFINITY, 200],
        ]),
      },
    ]);

    broken = true;
    await scraper.scrape();
    await scraper.scrape();
    broken = false;
    assert.equal(log.filter((l) => l.includes('cannot scrape')).length, 1);
    assert.deepEqual(await scraper.scrape(), [], 'after an outage the next reading is a baseline');
    requests += 10;
    assert.equal((await scraper.scrape())[0]?.requests, 10);
    assert.equal(log.filter((l) => l.includes('answer again')).length, 1);
  });

  it('reads each saturation gauge as its share of its ceiling, summed over label sets', async () => {
    const scraper = new TargetScraper(
      'run_3',
      [
        {
          service: 's',
          url: `${base}/metrics`,
          saturation: [
            { name: 'db_pool', metric: 'db_pool_in_use', sizeMetric: 'db_pool_size', ceiling: 0.7 },
            { name: 'loop', metric: 'loop_delay_seconds', limit: 0.2, ceiling: 1 },
            { name: 'absent', metric: 'no_such_gauge', limit: 1, ceiling: 1 },
          ],
        },
      ],
      { onRows: () => {} },
    );
    await scraper.scrape();
    const [row] = await scraper.scrape();
    // 7 of 20 connections in use, against a ceiling of 70 % of them: half the ceiling.
    assert.ok(Math.abs(row!.gauges!.db_pool! - 0.5) < 1e-12);
    assert.equal(row!.gauges!.loop, 0.25);
    assert.equal('absent' in row!.gauges!, false);
  });

  it('reports -1 when an instance has no CPU counter or no requests', async () => {
    const scraper = new TargetScraper('run_2', [{ service: 's', url: `${base}/metrics` }], {
      onRows: () => {},
    });
    await scraper.scrape();
    const [row] = await scraper.scrape();
    assert.equal(row?.cpuSeconds, -1);
    assert.equal(row?.requests, 0);
    assert.equal(row?.p99Ms, -1);
  });
});

describe('TargetScraper and redirects', () => {
  it('never follows one: a 3xx is a failed scrape, and its target receives nothing', async () => {
    let elsewhere = 0;
    const other = http.createServer((_req, res) => {
      elsewhere++;
      res.end('http_requests_total 1\n');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/metrics`;
    let asked = 0;
    const redirecting = http.createServer((_req, res) => {
      asked++;
      res.writeHead(302, { location: otherUrl });
      res.end();
    });
    await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/metrics`;
    const failures: string[] = [];
    const log: string[] = [];
    try {
      const scraper = new TargetScraper('run_3', [{ service: 's', url }], {
        onRows: () => {},
        onFailure: (_target, reason) => failures.push(reason),
        log: (line) => log.push(line),
      });
      assert.deepEqual(await scraper.scrape(), []);
      assert.deepEqual(await scraper.scrape(), []);
      assert.equal(asked, 2);
      assert.equal(elsewhere, 0, 'the redirect target received nothing');
      assert.deepEqual(failures, [
        `HTTP 302: redirect to ${otherUrl} not followed`,
        `HTTP 302: redirect to ${otherUrl} not followed`,
      ]);
      assert.match(log[0] ?? '', /cannot scrape .*: HTTP 302: redirect to .* not followed/);
    } finally {
      redirecting.close();
      other.close();
    }
  });
});
