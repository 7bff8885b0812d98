import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnvError } from '@loadline/config';
import { agentOptionsFromEnv } from './env.js';

describe('agentOptionsFromEnv', () => {
  it('takes REDIS_URL and LOADLINE_NAMESPACE, else the shared defaults', () => {
    assert.deepEqual(agentOptionsFromEnv({}), {
      redisUrl: 'redis://127.0.0.1:6379',
      namespace: 'loadline',
    });
    assert.deepEqual(
      agentOptionsFromEnv({ REDIS_URL: 'redis://10.1.2.3:6380', LOADLINE_NAMESPACE: 'staging' }),
      { redisUrl: 'redis://10.1.2.3:6380', namespace: 'staging' },
    );
  });

  it('lets flags override the environment', () => {
    const options = agentOptionsFromEnv(
      { REDIS_URL: 'redis://10.1.2.3:6380', LOADLINE_NAMESPACE: 'staging' },
      { redisUrl: 'redis://127.0.0.1:7000', agentId: 'a-1' },
    );
    assert.deepEqual(options, {
      redisUrl: 'redis://127.0.0.1:7000',
      namespace: 'staging',
      agentId: 'a-1',
    });
  });

  it('refuses a REDIS_URL that is not a Redis URL, naming it', () => {
    assert.throws(
      () => agentOptionsFromEnv({ REDIS_URL: '127.0.0.1:6379' }),
      (error: unknown) =>
        error instanceof EnvError &&
        error.issues.length === 1 &&
        error.issues[0]?.variable === 'REDIS_URL',
    );
  });
});
