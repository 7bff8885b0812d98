import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostMatcher } from './hosts.js';

describe('hostMatcher', () => {
  const internal = hostMatcher(['Inventory:8080', 'catalog', '*.svc.local', '[::1]:3000', '::2']);

  it('matches exact hosts, host:port, subdomains and IPv6 with or without a port', () => {
    assert.equal(internal('inventory', '8080'), true);
    assert.equal(internal('inventory', '8081'), false);
    assert.equal(internal('catalog', '1234'), true);
    assert.equal(internal('a.b.svc.local', '80'), true);
    assert.equal(internal('svc.local.evil', '80'), false);
    assert.equal(internal('[::1]', '3000'), true);
    assert.equal(internal('[::1]', '3001'), false);
    assert.equal(internal('[::2]', '9'), true);
  });
});
