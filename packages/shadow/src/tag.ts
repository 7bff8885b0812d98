// The signed shadow tag: `<runId>.<expiry>.<bind>.<hmac>`.
// The HMAC binds the run id to an expiry, so a tag copied out of a log or replayed after
// the run cannot turn production traffic into shadow traffic later on, and to the run's
// target (`bind`, a hash of its authority), so a tag obtained by aiming a run at one's
// own listener is not shadow traffic anywhere else (services check it, see shadow.ts).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { hostAuthorities, targetAuthority } from './authority.js';

export const SHADOW_HEADER = 'x-loadline-shadow';
export const BAGGAGE_HEADER = 'baggage';
export const BAGGAGE_KEY = 'loadline-shadow';

/** Run ids travel inside the tag and inside W3C baggage, so they stay in a safe alphabet. */
const RUN_ID = /^[A-Za-z0-9_-]{1,128}$/;
const EXPIRY = /^[0-9]{1,12}$/;
const BIND = /^[A-Za-z0-9_-]{16}$/;
const SIGNATURE_BYTES = 32;

export interface SignTagInput {
  runId: string;
  /** Unix seconds. */
  expiresAt: number;
  secret: string;
  /** The run's target: its URL (`http://127.0.0.1:8080/`) or authority (`host:port`). */
  target: string;
}

export type TagRejection = 'malformed' | 'bad-signature' | 'expired';

export type TagVerdict =
  | { ok: true; runId: string; expiresAt: number; bind: string }
  | { ok: false; reason: TagRejection };

function mac(payload: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** The tag's `bind` part for a canonical authority (see authority.ts): not secret. */
export function authorityBinding(authority: string): string {
  return shortHash(authority).slice(0, 16);
}

export function signShadowTag({ runId, expiresAt, secret, target }: SignTagInput): string {
  if (!RUN_ID.test(runId)) throw new TypeError(`runId must match ${RUN_ID}: got "${runId}"`);
  if (!Number.isSafeInteger(expiresAt) || expiresAt < 0) {
    throw new TypeError(`expiresAt must be unix seconds: got ${expiresAt}`);
  }
  if (secret.length === 0) throw new TypeError('secret must not be empty');
  const payload = `${runId}.${expiresAt}.${authorityBinding(targetAuthority(target))}`;
  return `${payload}.${mac(payload, secret).toString('base64url')}`;
}

/**
 * Checks shape, then signature (constant time), then expiry — in that order, so an
 * attacker learns nothing about expiry from a forged tag. Where the tag may be used is
 * the caller's check: `tagBoundToHost(verdict.bind, hostHeader)`.
 * @param now unix seconds
 */
export function verifyShadowTag(value: string, secret: string, now: number): TagVerdict {
  const parts = value.split('.');
  if (parts.length !== 4) return { ok: false, reason: 'malformed' };
  const [runId, expiry, bind, signature] = parts as [string, string, string, string];
  if (!RUN_ID.test(runId) || !EXPIRY.test(expiry) || !BIND.test(bind)) {
    return { ok: false, reason: 'malformed' };
  }
  const given = Buffer.from(signature, 'base64url');
  // Buffer.from ignores junk characters, so round-trip to reject non-canonical encodings.
  if (given.length !== SIGNATURE_BYTES || given.toString('base64url') !== signature) {
    return { ok: false, reason: 'malformed' };
  }
  if (!timingSafeEqual(given, mac(`${runId}.${expiry}.${bind}`, secret))) {
    return { ok: false, reason: 'bad-signature' };
  }
  const expiresAt = Number(expiry);
  if (expiresAt <= now) return { ok: false, reason: 'expired' };
  return { ok: true, runId, expiresAt, bind };
}

/** Whether a request whose Host header is `host` was sent to the target `bind` names. */
export function tagBoundToHost(bind: string, host: string | undefined): boolean {
  return hostAuthorities(host).some((authority) => authorityBinding(authority) === bind);
}

/**
 * What logs and reports may say about a tag, valid or not: its run id when it has a
 * well-formed one, and a short hash of the whole value to tell tags apart. Never the
 * signature: a valid tag read from a log would be shadow traffic in anyone's hands.
 */
export function describeTag(value: string): { runId?: string; fingerprint: string } {
  const dot = value.indexOf('.');
  const runId = dot < 0 ? value : value.slice(0, dot);
  const fingerprint = shortHash(value).slice(0, 12);
  return RUN_ID.test(runId) ? { runId, fingerprint } : { fingerprint };
}

/** Headers a load agent adds to every request of a shadow run. */
export function shadowHeaders(tag: string): Record<typeof SHADOW_HEADER | 'baggage', string> {
  return { [SHADOW_HEADER]: tag, baggage: `${BAGGAGE_KEY}=${tag}` };
}
