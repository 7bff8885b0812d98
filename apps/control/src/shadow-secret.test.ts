import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { environmentSecret, loadMasterSecret } from './shadow-secret.js';

describe('shadow secrets', () => {
  it('generates the master secret once, private, and reads it back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'loadline-secret-'));
    const first = loadMasterSecret(undefined, dir);
    assert.ok(first.length >= 32);
    assert.equal(loadMasterSecret(undefined, dir), first);
    assert.equal(readFileSync(join(dir, 'shadow-secret'), 'utf8').trim(), first);
    assert.equal(statSync(join(dir, 'shadow-secret')).mode & 0o777, 0o600);
  });

  it('prefers the configured one and refuses a short one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'loadline-secret-'));
    assert.equal(
      loadMasterSecret('0123456789abcdef-configured', dir),
      '0123456789abcdef-configured',
    );
    assert.throws(() => loadMasterSecret('short', dir), /at least 16/);
  });

  it('derives a different key per environment', () => {
    const a = environmentSecret('m'.repeat(32), 'staging');
    assert.equal(a, environmentSecret('m'.repeat(32), 'staging'));
    assert.notEqual(a, environmentSecret('m'.repeat(32), 'production'));
    assert.notEqual(a, environmentSecret('n'.repeat(32), 'staging'));
  });
});
