import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_MAX_IN_FLIGHT, parseBenchOptions, type RawBenchOptions } from './bench-options.js';
import { UsageError } from './exit-codes.js';

const base: RawBenchOptions = { url: 'http://127.0.0.1:8080/x', rate: '100', duration: '10s' };

function usage(raw: RawBenchOptions): string {
  try {
    parseBenchOptions(raw);
  } catch (error) {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${error}`);
    return error.message;
  }
  assert.fail('expected a UsageError');
}

describe('parseBenchOptions', () => {
  it('builds an open-model config from --rate', () => {
    const config = parseBenchOptions(base);
    assert.equal(config.target.method, 'GET');
    assert.equal(config.durationMs, 10_000);
    assert.deepEqual(config.model, {
      kind: 'open',
      profile: { startRate: 100, stages: [{ durationMs: 10_000, target: 100 }] },
      maxInFlight: DEFAULT_MAX_IN_FLIGHT,
    });
  });

  it('builds stages, holding the last rate when --duration is longer', () => {
    const config = parseBenchOptions({
      url: base.url,
      stages: '30s:1000,60s:5000',
      duration: '2m',
    });
    assert.deepEqual(config.model.kind === 'open' && config.model.profile.stages, [
      { durationMs: 30_000, target: 1000 },
      { durationMs: 60_000, target: 5000 },
      { durationMs: 30_000, target: 5000 },
    ]);
  });

  it('cuts stages short at a shorter --duration, interpolating the rate', () => {
    const config = parseBenchOptions({ url: base.url, stages: '10s:1000', duration: '5s' });
    assert.deepEqual(config.model.kind === 'open' && config.model.profile.stages, [
      { durationMs: 5000, target: 500 },
    ]);
  });

  it('builds a closed-model config from --connections', () => {
    const config = parseBenchOptions({ url: base.url, connections: '50', duration: '5s' });
    assert.deepEqual(config.model, { kind: 'closed', connections: 50, durationMs: 5000 });
  });

  it('reads headers, method and a body from a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'loadline-body-'));
    writeFileSync(join(dir, 'order.json'), '{"sku":1}');
    const config = parseBenchOptions({
      ...base,
      method: 'post',
      header: ['Content-Type: application/json', 'X-Trace:  abc '],
      body: `@${join(dir, 'order.json')}`,
    });
    assert.equal(config.target.method, 'POST');
    assert.deepEqual(config.target.headers, [
      ['Content-Type', 'application/json'],
      ['X-Trace', 'abc'],
    ]);
    assert.equal(config.target.body?.toString(), '{"sku":1}');
  });

  it('names the flag and what was expected for every kind of bad input', () => {
    assert.match(usage({ ...base, rate: '-5' }), /^--rate: expected requests per second/);
    assert.match(usage({ ...base, duration: '10 parsecs' }), /^--duration: expected a duration/);
    assert.match(usage({ ...base, header: ['NoColon'] }), /^--header: expected 'Name: value'/);
    assert.match(
      usage({ ...base, header: ['X: a\r\nEvil: 1'] }),
      /^--header: header "X": the value contains a carriage return \(CR\)/,
    );
    assert.match(usage({ ...base, url: 'localhost:8080' }), /^--url: expected an absolute http/);
    assert.match(usage({ ...base, url: 'not a url' }), /^--url: expected an absolute http/);
    assert.match(usage({ ...base, url: undefined }), /^--url: is required/);
    assert.match(usage({ ...base, method: 'GE T' }), /^--method: /);
    assert.match(usage({ ...base, body: '@/nonexistent/file' }), /^--body: cannot read file/);
    assert.match(usage({ ...base, duration: undefined }), /^--duration: is required/);
    assert.match(
      usage({ ...base, connections: '5' }),
      /--rate and --connections cannot be combined/,
    );
    assert.match(usage({ url: base.url, duration: '1s' }), /choose a load model/);
    assert.match(usage({ ...base, maxInFlight: '0' }), /^--max-in-flight: /);
    assert.match(usage({ url: base.url, stages: '30s', duration: '1s' }), /^--stages: stage 1/);
    assert.match(
      usage({ url: base.url, connections: '2.5', duration: '1s' }),
      /^--connections: expected a connection count/,
    );
    assert.match(
      usage({ url: base.url, connections: '2', duration: '1s', maxInFlight: '10' }),
      /^--max-in-flight: applies to the open model/,
    );
  });
});
