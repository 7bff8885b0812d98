import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostAllowed } from './host-policy';

describe('hostAllowed', () => {
  it('answers loopback, with any port, and the public hosts', () => {
    for (const host of [
      '127.0.0.1:3000',
      '127.1.2.3',
      'localhost',
      'LOCALHOST.:80',
      '[::1]:3000',
    ]) {
      assert.equal(hostAllowed(host, []), true, host);
    }
    assert.equal(hostAllowed('loadline.corp.example:443', ['loadline.corp.example']), true);
    assert.equal(hostAllowed('loadline.corp.example', ['Loadline.Corp.Example:8443']), true);
  });

  it('refuses every other name, what only resolves to this machine, and what is no Host', () => {
    for (const host of [
      'evil.example',
      'app.localhost',
      '0.0.0.0:3000',
      '[::]:3000',
      '127.0.0.1.nip.io',
      'localhost@evil.example',
      'localhost/x',
      '',
      null,
      undefined,
    ]) {
      assert.equal(hostAllowed(host, ['loadline.corp.example']), false, String(host));
    }
  });
});
