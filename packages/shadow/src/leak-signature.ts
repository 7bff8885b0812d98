// Leak reports stop runs, so control must know a report comes from a service that holds
// the environment's shadow key: each report carries
//   x-loadline-signature: t=<unix seconds>,v1=<base64url HMAC-SHA256(key, t\nMETHOD\npath\nbody)>
// over the exact bytes sent. The timestamp bounds replay to the window (a replayed report
// can only stop the same run again: the path names it).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const LEAK_SIGNATURE_HEADER = 'x-loadline-signature';

/** Default tolerance between the signer's clock and the verifier's, both ways. */
export const LEAK_SIGNATURE_WINDOW_S = 300;

const METHOD = /^[A-Za-z]{1,16}$/;
/** A path as it travels on the request line: visible ASCII only, so no `\n` can shift fields. */
const PATH = /^\/[\x21-\x7e]{0,2047}$/;
const HEADER = /^t=([0-9]{1,12}),v1=([A-Za-z0-9_-]{43})$/;
/** Anything longer than a valid header is refused before it is parsed. */
const HEADER_MAX = 80;
const MAC_BYTES = 32;

export interface SignLeakReportInput {
  /** The environment's shadow key. */
  secret: string;
  method: string;
  /** The URL path only, as sent: `/runs/run_x/leaks`. */
  path: string;
  /** The exact body sent. */
  body: string | Uint8Array;
  /** Unix seconds; defaults to the clock. */
  now?: number;
}

export interface VerifyLeakReportInput extends SignLeakReportInput {
  /** The received `x-loadline-signature` value (a repeated header is malformed). */
  header: string | readonly string[] | undefined;
  /** Largest |now − t| accepted, in seconds. */
  windowS?: number;
}

export type LeakSignatureRejection = 'missing' | 'malformed' | 'bad-signature' | 'stale';

export type LeakSignatureVerdict =
  | { ok: true; signedAt: number }
  | { ok: false; reason: LeakSignatureRejection };

const clock = () => Math.floor(Date.now() / 1000);

function mac(secret: string, t: string, method: string, path: string, body: string | Uint8Array) {
  return createHmac('sha256', secret)
    .update(`${t}\n${method.toUpperCase()}\n${path}\n`)
    .update(body)
    .digest();
}

/** The `x-loadline-signature` value for one request. */
export function signLeakReport({ secret, method, path, body, now }: SignLeakReportInput): string {
  if (secret.length === 0) throw new TypeError('secret must not be empty');
  if (!METHOD.test(method)) throw new TypeError(`method must be an HTTP method: got "${method}"`);
  if (!PATH.test(path)) {
    throw new TypeError(`path must be a URL path (visible ASCII, from "/"): got "${path}"`);
  }
  const t = String(now ?? clock());
  if (!/^[0-9]{1,12}$/.test(t)) throw new TypeError(`now must be unix seconds: got ${now}`);
  return `t=${t},v1=${mac(secret, t, method, path, body).toString('base64url')}`;
}

/**
 * Checks the header's shape, then the signature (constant time), then the time — so a
 * forger learns nothing about the window. A method or path that could not have been
 * signed (control characters, no leading `/`) is malformed too.
 */
export function verifyLeakReport(input: VerifyLeakReportInput): LeakSignatureVerdict {
  const { secret, method, path, body, header } = input;
  if (secret.length === 0) throw new TypeError('secret must not be empty');
  if (header === undefined || header === '') return { ok: false, reason: 'missing' };
  if (typeof header !== 'string' || header.length > HEADER_MAX) {
    return { ok: false, reason: 'malformed' };
  }
  const match = HEADER.exec(header);
  if (!match || !METHOD.test(method) || !PATH.test(path)) {
    return { ok: false, reason: 'malformed' };
  }
  const [, t, v1] = match as unknown as [string, string, string];
  const given = Buffer.from(v1, 'base64url');
  // 43 base64url characters carry 258 bits: reject the non-canonical spellings of 256.
  if (given.length !== MAC_BYTES || given.toString('base64url') !== v1) {
    return { ok: false, reason: 'malformed' };
  }
  if (!timingSafeEqual(given, mac(secret, t, method, path, body))) {
    return { ok: false, reason: 'bad-signature' };
  }
  const signedAt = Number(t);
  const windowS = input.windowS ?? LEAK_SIGNATURE_WINDOW_S;
  if (Math.abs((input.now ?? clock()) - signedAt) > windowS) return { ok: false, reason: 'stale' };
  return { ok: true, signedAt };
}
