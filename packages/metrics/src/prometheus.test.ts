import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { quantileFromBuckets } from './buckets.js';
import { DEFAULT_METRIC_NAMES, parsePrometheusText, readInstance } from './prometheus.js';

const TEXT = `# HELP http_requests_total HTTP requests
# TYPE http_requests_total counter
http_requests_total{method="GET",route="/a",status="200",service="catalog"} 10
http_requests_total{method="GET",route="/b \\"q\\"",status="500"} 2 1700000000000
http_requests_total{method="GET",route="/metrics",status="200"} 40
http_request_duration_seconds_bucket{le="0.01",route="/a"} 4
http_request_duration_seconds_bucket{le="0.1",route="/a"} 9
http_request_duration_seconds_bucket{le="+Inf",route="/a"} 12
http_request_duration_seconds_sum{route="/a"} 0.5
process_cpu_seconds_total 3.5
nodejs_eventloop_lag_mean_seconds Nan
`;

describe('Prometheus text', () => {
  it('parses samples with labels, escapes and timestamps', () => {
    const samples = parsePrometheusText(TEXT);
    assert.equal(samples.length, 9);
    assert.ok(Number.isNaN(samples[8]?.value), 'prom-client spells NaN "Nan"');
    assert.deepEqual(samples[1], {
      name: 'http_requests_total',
      labels: { method: 'GET', route: '/b "q"', status: '500' },
      value: 2,
    });
    assert.equal(samples[5]?.labels.le, '+Inf');
  });

  it('names the line of a malformed sample', () => {
    assert.throws(() => parsePrometheusText('ok 1\nbroken{le="1" 2\n'), /line 2: /);
    assert.throws(() => parsePrometheusText('x_total abc\n'), /line 1: expected a value/);
  });

  it('sums an instance over label sets', () => {
    const reading = readInstance(parsePrometheusText(TEXT), DEFAULT_METRIC_NAMES);
    assert.equal(reading.requests, 12, 'our own scrapes of /metrics are not counted');
    assert.equal(reading.cpuSeconds, 3.5);
    assert.deepEqual(
      [...reading.buckets],
      [
        [0.01, 4],
        [0.1, 9],
        [Number.POSITIVE_INFINITY, 12],
      ],
    );
  });

  it('interpolates quantiles from the buckets that grew between scrapes', () => {
    const before = new Map([
      [0.01, 0],
      [0.1, 0],
      [Number.POSITIVE_INFINITY, 0],
    ]);
    const after = new Map([
      [0.01, 50],
      [0.1, 100],
      [Number.POSITIVE_INFINITY, 100],
    ]);
    assert.equal(quantileFromBuckets(before, after, 0.5), 0.01);
    assert.ok(Math.abs((quantileFromBuckets(before, after, 0.75) as number) - 0.055) < 1e-12);
    assert.equal(quantileFromBuckets(after, after, 0.5), null, 'no requests: no latency');
  });
});
