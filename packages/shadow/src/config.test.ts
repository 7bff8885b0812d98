import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseShadowEnv, ShadowConfigError } from './config.js';

describe('parseShadowEnv', () => {
  it('parses lists and defaults', () => {
    const config = parseShadowEnv({
      LOADLINE_SHADOW_SECRET: 'a-secret-of-16-chars',
      LOADLINE_SHADOW_TABLES: 'orders, shop.payments,,',
      LOADLINE_SHADOW_INTERNAL_HOSTS: '*.svc.cluster.local,inventory:8080',
      LOADLINE_CONTROL_URL: 'http://127.0.0.1:7700',
    });
    assert.deepEqual(config, {
      secret: 'a-secret-of-16-chars',
      tables: ['orders', 'shop.payments'],
      internalHosts: ['*.svc.cluster.local', 'inventory:8080'],
      controlUrl: 'http://127.0.0.1:7700',
      service: 'unknown-service',
    });
  });

  it('reports every problem at once, by variable', () => {
    assert.throws(
      () => parseShadowEnv({ LOADLINE_SHADOW_SECRET: 'short', LOADLINE_CONTROL_URL: 'nope' }),
      (err: unknown) => {
        assert.ok(err instanceof ShadowConfigError);
        assert.equal(err.problems.length, 2);
        assert.match(err.problems[0]!, /^LOADLINE_SHADOW_SECRET: /);
        assert.match(err.problems[1]!, /^LOADLINE_CONTROL_URL: /);
        return true;
      },
    );
  });
});
