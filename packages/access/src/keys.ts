// Every key control needs is derived from its one master secret (HKDF-SHA256, RFC 5869),
// each under its own label, so replicas that share the master agree on all of them and a
// key for one purpose says nothing about another.
import { createPrivateKey, createPublicKey, hkdfSync, type KeyObject } from 'node:crypto';

export type KeyPurpose =
  | 'environment-secrets'
  | 'agent-jobs'
  | 'control-signing'
  | `agent:${string}`
  | `shadow:${string}`;

/** `length` bytes derived from `master` for `purpose`. */
export function deriveKey(master: string, purpose: KeyPurpose, length = 32): Buffer {
  if (master.length === 0) throw new TypeError('the master secret must not be empty');
  return Buffer.from(hkdfSync('sha256', master, 'loadline', `loadline v1 ${purpose}`, length));
}

/** The key an enrolled agent signs its messages with: one per agent and enrollment. */
export function agentKey(master: string, agentId: string, enrollment: string): Buffer {
  return deriveKey(master, `agent:${agentId}:${enrollment}`);
}

// An Ed25519 private key is its 32-byte seed behind this fixed PKCS#8 header (RFC 8410).
const ED25519_PKCS8_HEADER = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface SigningKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** the public key as base64 SPKI DER: what agents receive when they enroll */
  publicKeyText: string;
}

/** Control's Ed25519 key pair: it signs shard jobs and run signals, agents verify. */
export function controlSigningKeys(master: string): SigningKeys {
  const seed = deriveKey(master, 'control-signing');
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_HEADER, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicKey,
    publicKeyText: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}

/** A public key as control hands it to agents (base64 SPKI DER). */
export function publicKeyFromText(text: string): KeyObject {
  return createPublicKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'spki' });
}
