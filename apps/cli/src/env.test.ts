import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cliEnvOnce } from './env.js';
import { UsageError } from './exit-codes.js';

describe('the CLI environment', () => {
  it('is parsed once, with the shared defaults', async () => {
    const raw: Record<string, string | undefined> = { LOADLINE_NAMESPACE: 'ci' };
    const env = cliEnvOnce(raw);
    const first = await env();
    raw.LOADLINE_NAMESPACE = 'changed later';
    assert.deepEqual(await env(), first);
    assert.equal(first.LOADLINE_NAMESPACE, 'ci');
    assert.equal(first.LOADLINE_API, 'http://127.0.0.1:7700');
    assert.equal(first.REDIS_URL, undefined);
  });

  it('turns a bad variable into bad usage (exit 2) naming it', async () => {
    const env = cliEnvOnce({ LOADLINE_API: 'not a url', CLICKHOUSE_URL: 'http://ch:8l23' });
    await assert.rejects(env(), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.equal(
        error.message,
        'LOADLINE_API: expected an http:// or https:// URL like http://127.0.0.1:7700, got "not a url"; CLICKHOUSE_URL: port "8l23" is not a number (expected an http:// or https:// URL like http://clickhouse:8123)',
      );
      return true;
    });
  });

  it('a command fails only on the variables it reads', async () => {
    const env = cliEnvOnce({ DATABASE_URL: 'mysql://other-tool/db', REDIS_URL: 'redis://r:1' });
    assert.deepEqual(await env('LOADLINE_API'), { LOADLINE_API: 'http://127.0.0.1:7700' });
    assert.deepEqual(await env('REDIS_URL', 'LOADLINE_NAMESPACE'), {
      REDIS_URL: 'redis://r:1',
      LOADLINE_NAMESPACE: 'loadline',
    });
    await assert.rejects(env(), /^Error: DATABASE_URL: expected a postgres:\/\//);
  });
});
