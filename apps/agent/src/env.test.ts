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

  it('reaches Redis through Sentinels or a Cluster, never both', () => {
    assert.deepEqual(
      agentOptionsFromEnv({ REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_MASTER: 'm1' })
        .redisTopology,
      { kind: 'sentinel', sentinels: [{ host: 's1', port: 26379 }], master: 'm1' },
    );
    assert.deepEqual(agentOptionsFromEnv({ REDIS_CLUSTER_NODES: 'r0:6379' }).redisTopology, {
      kind: 'cluster',
      nodes: [{ host: 'r0', port: 6379 }],
    });
    assert.throws(
      () => agentOptionsFromEnv({ REDIS_SENTINELS: 's1:26379', REDIS_CLUSTER_NODES: 'r0:6379' }),
      (error: unknown) =>
        error instanceof EnvError && error.issues[0]?.variable === 'REDIS_CLUSTER_NODES',
    );
  });

  it('enrolls with LOADLINE_AGENT_TOKEN at LOADLINE_API', () => {
    const token = `llt_${'a'.repeat(43)}`;
    assert.deepEqual(
      agentOptionsFromEnv({ LOADLINE_AGENT_TOKEN: token, LOADLINE_API: 'http://10.0.0.9:7700' })
        .enroll,
      { api: 'http://10.0.0.9:7700', token },
    );
    assert.throws(
      () => agentOptionsFromEnv({ LOADLINE_AGENT_TOKEN: 'hunter2' }),
      (error: unknown) =>
        error instanceof EnvError && error.issues[0]?.variable === 'LOADLINE_AGENT_TOKEN',
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
