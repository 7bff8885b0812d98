// The signed shadow tag: `<runId>.<expiry>.<hmac>`.
// The HMAC binds the run id to an expiry so a tag copied out of a log or replayed after
// the run cannot turn production traffic into shadow traffic (or the reverse) later on.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SHADOW_HEADER = 'x-loadline-shadow';
export const BAGGAGE_HEADER = 'baggage';
export const BAGGAGE_KEY = 'loadline-shadow';

/** Run ids travel inside the tag and inside W3C baggage, so they stay in a safe alphabet. */
const RUN_ID = /^[A-Za-z0-9_-]{1,128}$/;
const EXPIRY = /^[0-9]{1,12}$/;
const SIGNATURE_BYTES = 32;

export interface SignTagInput {
  runId: string;
  /** Unix seconds. */
  expiresAt: number;
  secret: string;
}

export type TagRejection = 'malformed' | 'bad-signature' | 'expired';

export type TagVerdict =
  | { ok: true; runId: string; expiresAt: number }
  | { ok: false; reason: TagRejection };

function mac(payload: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

export function signShadowTag({ runId, expiresAt, secret }: SignTagInput): string {
  if (!RUN_ID.test(runId)) throw new TypeError(`runId must match ${RUN_ID}: got "${runId}"`);
  if (!Number.isSafeInteger(expiresAt) || expiresAt < 0) {
    throw new TypeError(`expiresAt must be unix seconds: got ${expiresAt}`);
  }
  if (secret.length === 0) throw new TypeError('secret must not be empty');
  const payload = `${runId}.${expiresAt}`;
  return `${payload}.${mac(payload, secret).toString('base64url')}`;
}

/**
 * Checks shape, then signature (constant time), then expiry — in that order, so an
 * attacker learns nothing about expiry from a forged tag.
 * @param now unix seconds
 */
export function verifyShadowTag(value: string, secret: string, now: number): TagVerdict {
  const parts = value.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed' };
  const [runId, expiry, signature] = parts as [string, string, string];
  if (!RUN_ID.test(runId) || !EXPIRY.test(expiry)) return { ok: false, reason: 'malformed' };
  const given = Buffer.from(signature, 'base64url');
  // Buffer.from ignores junk characters, so round-trip to reject non-canonical encodings.
  if (given.length !== SIGNATURE_BYTES || given.toString('base64url') !== signature) {
    return { ok: false, reason: 'malformed' };
  }
  if (!timingSafeEqual(given, mac(`${runId}.${expiry}`, secret))) {
    return { ok: false, reason: 'bad-signature' };
  }
  const expiresAt = Number(expiry);
  if (expiresAt <= now) return { ok: false, reason: 'expired' };
  return { ok: true, runId, expiresAt };
}

/** Headers a load agent adds to every request of a shadow run. */
export function shadowHeaders(tag: string): Record<typeof SHADOW_HEADER | 'baggage', string> {
  return { [SHADOW_HEADER]: tag, baggage: `${BAGGAGE_KEY}=${tag}` };
}
