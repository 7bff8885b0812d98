import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricError, MetricRegistry, Sink } from './metrics.js';

describe('MetricRegistry', () => {
  it("declares k6's built-in metrics and refuses a name reused with another type", () => {
    const registry = new MetricRegistry();
    assert.equal(registry.typeOf('http_req_duration'), 'trend');
    assert.equal(registry.typeOf('checks'), 'rate');
    assert.equal(registry.define('orders', 'counter'), registry.define('orders', 'counter'));
    assert.throws(() => registry.define('orders', 'trend'), MetricError);
    assert.throws(() => registry.define('', 'trend'), MetricError);
  });

  it('feeds threshold submetrics only the samples whose tags match', () => {
    const registry = new MetricRegistry();
    registry.watch('http_reqs', { status: '200' });
    const reqs = registry.get('http_reqs');
    reqs?.add(1, { status: '200', name: 'a' });
    reqs?.add(1, { status: '500', name: 'a' });
    reqs?.add(1, { status: '200', name: 'b' });
    assert.equal(registry.aggregate('http_reqs', {}, { kind: 'count' }, 1000), 3);
    assert.equal(registry.aggregate('http_reqs', { status: '200' }, { kind: 'count' }, 1000), 2);
    assert.equal(registry.aggregate('http_reqs', { status: '200' }, { kind: 'rate' }, 500), 4);
    assert.equal(
      registry.aggregate('http_reqs', { status: '404' }, { kind: 'count' }, 1000),
      undefined,
    );
  });
});

describe('Sink', () => {
  it('keeps trends in a histogram: exact min/max/avg, percentiles within HdrHistogram precision', () => {
    const sink = new Sink('trend');
    for (let i = 1; i <= 1000; i++) sink.add(i);
    assert.equal(sink.aggregate({ kind: 'min' }, 0), 1);
    assert.equal(sink.aggregate({ kind: 'max' }, 0), 1000);
    assert.equal(sink.aggregate({ kind: 'avg' }, 0), 500.5);
    const p95 = sink.aggregate({ kind: 'p', percentile: 95 }, 0) as number;
    assert.ok(Math.abs(p95 - 950) <= 1, String(p95));
    assert.ok(Math.abs((sink.aggregate({ kind: 'med' }, 0) as number) - 500) <= 1);
  });

  it('merges snapshots exactly: a p99 across agents is the merged histogram’s', () => {
    const a = new Sink('trend');
    const b = new Sink('trend');
    for (let i = 0; i < 990; i++) a.add(10);
    for (let i = 0; i < 10; i++) b.add(500);
    const merged = new Sink('trend');
    merged.merge(a.snapshot());
    merged.merge(b.snapshot());
    assert.equal(merged.count, 1000);
    assert.ok(Math.abs((merged.aggregate({ kind: 'p', percentile: 99.5 }, 0) as number) - 500) < 1);
    assert.ok(Math.abs((merged.aggregate({ kind: 'p', percentile: 98 }, 0) as number) - 10) < 0.1);
  });

  it('rates count non-zero samples; gauges keep the last value', () => {
    const rate = new Sink('rate');
    for (const v of [1, 0, 1, 1]) rate.add(v);
    assert.equal(rate.aggregate({ kind: 'rate' }, 0), 0.75);
    const gauge = new Sink('gauge');
    for (const v of [3, 9, 4]) gauge.add(v);
    assert.equal(gauge.aggregate({ kind: 'value' }, 0), 4);
  });
});
