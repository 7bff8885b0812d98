import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCli, parseCost, UsageError } from './cli.js';

describe('npm run demo flags', () => {
  it('turns flags into mall options', () => {
    const parsed = parseCli(
      ['--port', '9090', '--instances', 'catalog=2,cart=3', '--cost', 'order=5ms,gateway=0.5'],
      { REDIS_URL: 'redis://10.0.0.1:6379', DATABASE_URL: 'postgres://db/test' },
    );
    assert.ok(!parsed.help);
    assert.deepEqual(parsed.options, {
      port: 9090,
      instances: { catalog: 2, cart: 3 },
      costMs: { order: 5, gateway: 0.5 },
      redisUrl: 'redis://10.0.0.1:6379',
      databaseUrl: 'postgres://db/test',
    });
    assert.equal(parsed.config.host, '127.0.0.1');
    assert.equal(parsed.config.redisPrefix, 'demo:');
  });

  it('runs without Redis on --no-redis, and takes --redis over REDIS_URL', () => {
    const off = parseCli(['--no-redis'], { REDIS_URL: 'redis://x:1' });
    assert.ok(!off.help && off.config.redisUrl === null);
    const on = parseCli(['--redis', 'redis://y:2'], { REDIS_URL: 'redis://x:1' });
    assert.ok(!on.help && on.config.redisUrl === 'redis://y:2');
  });

  it('reads cost durations in ms, s and us', () => {
    assert.equal(parseCost('5ms'), 5);
    assert.equal(parseCost('0.25'), 0.25);
    assert.equal(parseCost('1s'), 1000);
    assert.equal(parseCost('200us'), 0.2);
    assert.throws(() => parseCost('fast'), UsageError);
  });

  it('names the flag and what was expected', () => {
    assert.throws(
      () => parseCli(['--instances', 'catalog'], {}),
      /--instances: expected name=value/,
    );
    assert.throws(() => parseCli(['--instances', 'catlog=2'], {}), /--instances: .*"catlog"/);
    assert.throws(() => parseCli(['--port', 'http'], {}), /--port: expected a number/);
    assert.throws(
      () => parseCli(['--payment-failure-rate', '2'], {}),
      /--payment-failure-rate: .*<=1/,
    );
    assert.throws(() => parseCli(['--bogus'], {}), UsageError);
    assert.deepEqual(parseCli(['-h'], {}), { help: true });
  });
});
