// What crosses Redis is signed: agents sign what they push with their own key (HMAC), and
// control signs what agents obey (shard jobs, run signals) with its Ed25519 key, so a
// writer with access to Redis alone can neither impersonate an agent nor command one.
import { createHmac, type KeyObject, sign, timingSafeEqual, verify } from 'node:crypto';

export function hmac(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('base64url');
}

/** Whether `signature` is `text`'s HMAC under `key` (constant time). */
export function hmacMatches(key: Buffer, text: string, signature: string): boolean {
  const expected = createHmac('sha256', key).update(text).digest();
  const given = Buffer.from(signature, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Ed25519 signature of `text`, base64url. */
export function signText(privateKey: KeyObject, text: string): string {
  return sign(null, Buffer.from(text), privateKey).toString('base64url');
}

export function signatureMatches(publicKey: KeyObject, text: string, signature: string): boolean {
  try {
    return verify(null, Buffer.from(text), publicKey, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}
