/** A script's binary values (strings, ArrayBuffers and their views) as Buffers, and back. */
import { isAnyArrayBuffer } from 'node:util/types';

/** The bytes of a string (UTF-8), an ArrayBuffer or a view of one; undefined for anything else. */
export function bytesOf(value: unknown): Buffer | undefined {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (isAnyArrayBuffer(value)) return Buffer.from(value);
  if (ArrayBuffer.isView(value))
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return undefined;
}

/** A Buffer's own bytes as the ArrayBuffer k6 hands scripts (a copy, not the pool's). */
export function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
