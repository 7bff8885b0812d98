import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EnvError } from '@loadline/config';
import { configFromEnv } from './control.js';

describe('configFromEnv', () => {
  it('the defaults: loopback 7700, .loadline here, local Redis, namespace loadline', () => {
    const config = configFromEnv({});
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 7700);
    assert.equal(config.dataDir, join(process.cwd(), '.loadline'));
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
    assert.equal(config.namespace, 'loadline');
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.clickhouseUrl, undefined);
    assert.equal(config.shadowSecret, undefined);
  });

  it('reads every variable, and overrides win', () => {
    const env = {
      LOADLINE_API: 'http://0.0.0.0:9000',
      LOADLINE_DATA_DIR: '/var/lib/loadline',
      DATABASE_URL: 'postgres://pg:5432/loadline',
      CLICKHOUSE_URL: 'http://ch:8123',
      LOADLINE_SHADOW_SECRET: 'a-secret-of-enough-length',
      REDIS_URL: 'redis://redis:6379',
      LOADLINE_NAMESPACE: 'prod',
    };
    const config = configFromEnv(env);
    assert.deepEqual(
      [config.host, config.port, config.dataDir, config.redisUrl, config.namespace],
      ['0.0.0.0', 9000, '/var/lib/loadline', 'redis://redis:6379', 'prod'],
    );
    assert.equal(config.databaseUrl, 'postgres://pg:5432/loadline');
    assert.equal(config.clickhouseUrl, 'http://ch:8123');
    assert.equal(config.clickhouseCluster, undefined);
    assert.equal(configFromEnv({ ...env, CLICKHOUSE_CLUSTER: 'main' }).clickhouseCluster, 'main');
    assert.throws(
      () => configFromEnv({ CLICKHOUSE_CLUSTER: 'main' }),
      (err: Error) =>
        err instanceof EnvError && /CLICKHOUSE_CLUSTER: needs CLICKHOUSE_URL/.test(err.message),
    );
    assert.throws(
      () => configFromEnv({ ...env, CLICKHOUSE_CLUSTER: "main' --" }),
      /CLICKHOUSE_CLUSTER: a cluster name/,
    );
    assert.equal(config.shadowSecret, 'a-secret-of-enough-length');
    assert.equal(configFromEnv(env, { port: 0, namespace: 'x' }).port, 0);
    assert.equal(configFromEnv({ LOADLINE_API: 'http://10.0.0.1' }).port, 7700);
  });

  it('a bad variable is an EnvError naming it', () => {
    assert.throws(
      () => configFromEnv({ LOADLINE_API: 'not a url' }),
      (error: unknown) =>
        error instanceof EnvError && /^LOADLINE_API: expected an http:\/\//.test(error.message),
    );
  });
});
