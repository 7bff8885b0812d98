import { deflateSync } from 'node:zlib';
import { HIGHEST_TRACKABLE_US, LOWEST_TRACKABLE_US, SIGNIFICANT_DIGITS } from '@loadline/histogram';

// HdrHistogram V2 encoding, as every implementation reads it:
//   plain:      [cookie, payload length, normalizing offset, significant digits,
//                lowest (int64), highest (int64), int-to-double ratio (double),
//                payload: ZigZag LEB128-64b9B counts, a negative one = a run of empty buckets]
//   compressed: [cookie, length, zlib(plain)]  (what agents send)
// In base64 either way. Rollups store the plain form: inflating was most of the cost of
// reading them back (measured: 41 µs of ~50 µs per minute rollup), for 1.5x the bytes.
export const PLAIN_COOKIE_BASE = 0x1c849303;
export const COMPRESSED_COOKIE_BASE = 0x1c849304;
const WORD_SIZE_NIBBLE = 0x10;
export const HEADER_BYTES = 40;

// The bucket layout every Loadline histogram shares (see @loadline/histogram).
const UNIT_MAGNITUDE = Math.floor(Math.log2(LOWEST_TRACKABLE_US));
const SUB_BUCKET_HALF_COUNT = 2 ** (Math.ceil(Math.log2(2 * 10 ** SIGNIFICANT_DIGITS)) - 1);

function countsLength(): number {
  let smallestUntrackable = 2 * SUB_BUCKET_HALF_COUNT * 2 ** UNIT_MAGNITUDE;
  let buckets = 1;
  while (smallestUntrackable <= HIGHEST_TRACKABLE_US) {
    smallestUntrackable *= 2;
    buckets++;
  }
  return (buckets + 1) * SUB_BUCKET_HALF_COUNT;
}

/** Length of the counts array of the shared layout. */
export const COUNTS_LENGTH = countsLength();

/** The lowest value (µs) that lands in counts-array `index` of the shared layout. */
export function valueFromIndex(index: number): number {
  let bucketIndex = Math.floor(index / SUB_BUCKET_HALF_COUNT) - 1;
  let subBucketIndex = (index % SUB_BUCKET_HALF_COUNT) + SUB_BUCKET_HALF_COUNT;
  if (bucketIndex < 0) {
    subBucketIndex -= SUB_BUCKET_HALF_COUNT;
    bucketIndex = 0;
  }
  return subBucketIndex * 2 ** (bucketIndex + UNIT_MAGNITUDE);
}

export const cookieBase = (cookie: number) => cookie & ~0xf0;

/** Whether a plain encoding's header describes the shared layout. */
export function isSharedLayout(plain: Buffer): boolean {
  return (
    plain.readInt32BE(12) === SIGNIFICANT_DIGITS &&
    Number(plain.readBigInt64BE(16)) === LOWEST_TRACKABLE_US &&
    Number(plain.readBigInt64BE(24)) === HIGHEST_TRACKABLE_US
  );
}

/**
 * Adds a plain encoding's counts into `counts` (shared layout); returns the number of
 * samples added and one past the last index reached.
 */
export function addCounts(counts: Float64Array, plain: Buffer): [total: number, end: number] {
  const end = HEADER_BYTES + plain.readInt32BE(4);
  if (end > plain.length) throw new RangeError('HdrHistogram payload is truncated');
  let pos = HEADER_BYTES;
  let index = 0;
  let total = 0;
  while (pos < end) {
    let byte = plain[pos++]!;
    let value = byte & 0x7f;
    let scale = 128;
    for (let n = 1; byte & 0x80 && n < 9; n++) {
      byte = plain[pos++]!;
      value += (n === 8 ? byte : byte & 0x7f) * scale; // the 9th byte carries 8 bits
      scale *= 128;
    }
    const count = value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    if (count < 0) {
      index -= count;
    } else {
      if (index >= COUNTS_LENGTH) throw new RangeError('HdrHistogram counts exceed its layout');
      counts[index++]! += count;
      total += count;
    }
  }
  return [total, Math.min(index, COUNTS_LENGTH)];
}

function writeZigZag(target: Buffer, pos: number, n: number): number {
  let value = n >= 0 ? n * 2 : -n * 2 - 1;
  for (let i = 0; i < 8; i++) {
    if (value < 128) {
      target[pos++] = value;
      return pos;
    }
    target[pos++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  target[pos++] = value; // 9th byte: 8 bits
  return pos;
}

/** Where plainBytes writes before it copies out exactly what it wrote (synchronous). */
let scratch: Buffer | undefined;

/**
 * The plain V2 encoding of counts in the shared layout, up to index `end`, in a buffer of
 * exactly its size: written once into a scratch buffer and copied out, so a sparse
 * histogram costs its entries, not its range.
 */
export function plainBytes(counts: Float64Array, end: number): Buffer {
  scratch ??= Buffer.alloc(HEADER_BYTES + 9 * COUNTS_LENGTH);
  const out = scratch;
  out.writeInt32BE(PLAIN_COOKIE_BASE | WORD_SIZE_NIBBLE, 0);
  out.writeInt32BE(0, 8); // normalizing index offset
  out.writeInt32BE(SIGNIFICANT_DIGITS, 12);
  out.writeBigInt64BE(BigInt(LOWEST_TRACKABLE_US), 16);
  out.writeBigInt64BE(BigInt(HIGHEST_TRACKABLE_US), 24);
  out.writeDoubleBE(1, 32);
  let pos = HEADER_BYTES;
  for (let i = 0; i < end; ) {
    const count = counts[i]!;
    if (count !== 0) {
      pos = writeZigZag(out, pos, count);
      i++;
      continue;
    }
    let zeros = 1;
    while (i + zeros < end && counts[i + zeros] === 0) zeros++;
    pos = writeZigZag(out, pos, zeros > 1 ? -zeros : 0);
    i += zeros;
  }
  out.writeInt32BE(pos - HEADER_BYTES, 4);
  return Buffer.from(out.subarray(0, pos));
}

/** The plain V2 encoding (base64) of counts in the shared layout, up to index `end`. */
export function encodePlain(counts: Float64Array, end: number): string {
  return plainBytes(counts, end).toString('base64');
}

/** The compressed form of a plain encoding, for decoders that only read that one. */
export function compressPlain(plain: Buffer): string {
  const compressed = deflateSync(plain);
  const out = Buffer.alloc(8 + compressed.length);
  out.writeInt32BE(COMPRESSED_COOKIE_BASE | WORD_SIZE_NIBBLE, 0);
  out.writeInt32BE(compressed.length, 4);
  compressed.copy(out, 8);
  return out.toString('base64');
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64.length; i++) BASE64_VALUE[BASE64.charCodeAt(i)] = i;

/** The two big-endian int32s at the start of base64 text (its first 11 characters). */
function leadingInt32s(base64: string): [number, number] | null {
  let high = 0; // first 5 characters: 30 bits
  let low = 0; // next 6: 36 bits
  for (let i = 0; i < 11; i++) {
    const value = BASE64_VALUE[base64.charCodeAt(i)] ?? -1;
    if (value < 0) return null;
    if (i < 5) high = high * 64 + value;
    else low = low * 64 + value;
  }
  const first = high * 4 + Math.floor(low / 2 ** 34);
  const second = Math.floor(low / 4) % 2 ** 32;
  return [first | 0, second | 0];
}

function decodedLength(base64: string): number {
  let padding = 0;
  if (base64.endsWith('==')) padding = 2;
  else if (base64.endsWith('=')) padding = 1;
  return (base64.length / 4) * 3 - padding;
}

/**
 * Cheap structural check of an agent's histogram, for the ingest path: base64 whose first
 * bytes are the compressed V2 cookie and whose length matches the length its header
 * announces. Does not inflate (~10 µs a row); returns what is wrong, or null.
 */
export function encodedHistogramProblem(encoded: string): string | null {
  if (encoded === '') return null;
  if (encoded.length < 16 || encoded.length % 4 !== 0) return 'not base64 of an HdrHistogram';
  const head = leadingInt32s(encoded);
  if (!head || cookieBase(head[0]) !== COMPRESSED_COOKIE_BASE) {
    return 'not a compressed HdrHistogram (V2 cookie missing)';
  }
  if (8 + head[1] !== decodedLength(encoded)) {
    return 'truncated or padded HdrHistogram (length does not match its header)';
  }
  return null;
}
