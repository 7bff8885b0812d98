import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentKey, controlSigningKeys, deriveKey, publicKeyFromText } from './keys.js';
import { open, seal } from './secret-box.js';
import { hmac, hmacMatches, signatureMatches, signText } from './signatures.js';
import { hashSecret, isSecret, newSecret } from './tokens.js';

describe('keys derived from the master secret', () => {
  it('are stable per purpose and differ between purposes and masters', () => {
    assert.deepEqual(deriveKey('m', 'agent-jobs'), deriveKey('m', 'agent-jobs'));
    assert.notDeepEqual(deriveKey('m', 'agent-jobs'), deriveKey('m', 'environment-secrets'));
    assert.notDeepEqual(deriveKey('m', 'agent-jobs'), deriveKey('n', 'agent-jobs'));
    assert.notDeepEqual(agentKey('m', 'a1', 'e1'), agentKey('m', 'a1', 'e2'));
    assert.throws(() => deriveKey('', 'agent-jobs'), /must not be empty/);
  });

  it("control's Ed25519 pair: two replicas with one master sign alike; the text key round-trips", () => {
    const a = controlSigningKeys('master');
    const b = controlSigningKeys('master');
    const signature = signText(a.privateKey, 'job');
    assert.equal(signature, signText(b.privateKey, 'job'), 'Ed25519 is deterministic');
    const publicKey = publicKeyFromText(a.publicKeyText);
    assert.equal(signatureMatches(publicKey, 'job', signature), true);
    assert.equal(signatureMatches(publicKey, 'jOb', signature), false);
    assert.equal(signatureMatches(publicKey, 'job', 'not-a-signature'), false);
    const other = publicKeyFromText(controlSigningKeys('other').publicKeyText);
    assert.equal(signatureMatches(other, 'job', signature), false);
  });
});

describe('sealed secrets', () => {
  const key = deriveKey('master', 'environment-secrets');
  it('open with the same key and associated data only', () => {
    const sealed = seal(key, 'Bearer s3cret', 'prod/API_TOKEN');
    assert.doesNotMatch(sealed, /s3cret/);
    assert.notEqual(sealed, seal(key, 'Bearer s3cret', 'prod/API_TOKEN'), 'a fresh IV each time');
    assert.equal(open(key, sealed, 'prod/API_TOKEN'), 'Bearer s3cret');
    assert.throws(() => open(key, sealed, 'staging/API_TOKEN'), /does not open/);
    assert.throws(() => open(deriveKey('x', 'environment-secrets'), sealed, 'prod/API_TOKEN'));
    const [v, iv, tag, data] = sealed.split('.') as [string, string, string, string];
    // One character of the ciphertext changed (mid-text: never padding, never a no-op).
    const at = Math.floor(data.length / 2);
    const flipped = `${data.slice(0, at)}${data[at] === 'A' ? 'B' : 'A'}${data.slice(at + 1)}`;
    assert.throws(() => open(key, [v, iv, tag, flipped].join('.'), 'prod/API_TOKEN'));
    assert.throws(() => open(key, 'garbage', 'prod/API_TOKEN'), /not a sealed secret/);
  });
});

describe('secrets and signatures', () => {
  it('tokens carry their kind and 256 random bits; stored as SHA-256', () => {
    const token = newSecret('token');
    assert.equal(isSecret(token, 'token'), true);
    assert.equal(isSecret(token, 'session'), false);
    assert.equal(isSecret(`${token}x`, 'token'), false);
    assert.notEqual(token, newSecret('token'));
    assert.match(hashSecret(token), /^[0-9a-f]{64}$/);
  });

  it('HMAC matches only the same text and key', () => {
    const key = deriveKey('m', 'agent:a:b');
    const mac = hmac(key, '{"type":"heartbeat"}');
    assert.equal(hmacMatches(key, '{"type":"heartbeat"}', mac), true);
    assert.equal(hmacMatches(key, '{"type":"heartbeat "}', mac), false);
    assert.equal(hmacMatches(deriveKey('m', 'agent:a:c'), '{"type":"heartbeat"}', mac), false);
    assert.equal(hmacMatches(key, '{"type":"heartbeat"}', ''), false);
  });
});
