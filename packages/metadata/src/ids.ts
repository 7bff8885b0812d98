import { getRandomValues } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32, as in ULID
const RANDOM_BITS = 80n;
const RANDOM_MAX = (1n << RANDOM_BITS) - 1n;

let lastTime = -1;
let lastRandom = 0n;

function encode(value: bigint, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

function random80(): bigint {
  const bytes = getRandomValues(new Uint8Array(10));
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/**
 * A ULID-style id with a prefix, e.g. `run_01JD8X6Q5T3J1K7Y2M4N6P8R0S`: 48 bits of
 * milliseconds then 80 random bits, so ids sort by creation time as strings. Ids made in
 * the same millisecond by this process increase strictly (the random part is incremented).
 */
export function newId(prefix: string, now: number = Date.now()): string {
  if (now > lastTime) {
    lastTime = now;
    lastRandom = random80();
  } else if (lastRandom < RANDOM_MAX) {
    lastRandom += 1n;
  } else {
    lastTime += 1;
    lastRandom = random80();
  }
  return `${prefix}_${encode(BigInt(lastTime), 10)}${encode(lastRandom, 16)}`;
}

/** The creation time encoded in an id from `newId`, or undefined if it is not one. */
export function idTime(id: string): Date | undefined {
  const match = /^[a-z]+_([0-9A-HJKMNP-TV-Z]{10})[0-9A-HJKMNP-TV-Z]{16}$/.exec(id);
  if (!match) return undefined;
  let ms = 0;
  for (const ch of match[1]!) ms = ms * 32 + ALPHABET.indexOf(ch);
  return new Date(ms);
}
