import { createHash } from 'node:crypto';

/**
 * A fast 53-bit string hash (two FNV-1a lanes, mixed): stable across processes and
 * versions, which session placement and ID remapping rely on. Not for secrets.
 */
export function hash53(text: string, seed = 0): number {
  let h1 = 0x811c9dc5 ^ seed;
  let h2 = 0x01000193 ^ Math.imul(seed, 0x9e3779b1);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b) ^ Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0x85ebca6b) ^ Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
  return 0x200000 * ((h2 >>> 0) & 0x1fffff) + (h1 >>> 0);
}

/**
 * A one-way digest for values that identify a person (cookies, tokens, client IPs):
 * session keys stay stable but a stored corpus does not leak the value.
 */
export class Digester {
  /** Values seen recently: a capture repeats its clients, but may hold millions of them. */
  private readonly seen = new Map<string, string>();
  private static readonly REMEMBERED = 65_536;

  digest(value: string): string {
    let out = this.seen.get(value);
    if (out === undefined) {
      out = createHash('sha256').update(value).digest('hex').slice(0, 16);
      if (this.seen.size >= Digester.REMEMBERED) this.seen.clear();
      this.seen.set(value, out);
    }
    return out;
  }
}
