// Key rules shared by the ioredis wrapper and the ioredis guard. Command metadata (which
// arguments are keys, which commands write) comes from @ioredis/commands, the table
// ioredis itself uses for keyPrefix, resolved next to the installed ioredis.
import { createRequire } from 'node:module';

export const SHADOW_KEY_PREFIX = 'shadow:';

interface CommandTable {
  exists(name: string, opts?: { caseInsensitive?: boolean }): boolean;
  hasFlag(name: string, flag: string, opts?: { nameCaseInsensitive?: boolean }): boolean;
  getKeyIndexes(name: string, args: unknown[], opts?: { nameCaseInsensitive?: boolean }): number[];
}

let table: CommandTable | undefined;
function commands(): CommandTable {
  if (!table) {
    const ioredis = createRequire(import.meta.url).resolve('ioredis');
    table = createRequire(ioredis)('@ioredis/commands') as CommandTable;
  }
  return table;
}

/** Scripts may write any key they declare; their keys are checked, never rewritten. */
const SCRIPTS = new Set(['eval', 'evalsha', 'fcall']);

export function isScript(name: string): boolean {
  return SCRIPTS.has(name.toLowerCase());
}

export function isWrite(name: string): boolean {
  const n = name.toLowerCase();
  if (SCRIPTS.has(n)) return true;
  const c = commands();
  return c.exists(n) && c.hasFlag(n, 'write');
}

export function keyIndexes(name: string, args: unknown[]): number[] {
  const c = commands();
  return c.exists(name, { caseInsensitive: true })
    ? c.getKeyIndexes(name, args, { nameCaseInsensitive: true })
    : [];
}

export function keyText(key: unknown): string {
  return Buffer.isBuffer(key) ? key.toString('latin1') : String(key);
}

export function isShadowKey(key: unknown): boolean {
  return keyText(key).startsWith(SHADOW_KEY_PREFIX);
}

export function shadowKey<K>(key: K): K | string | Buffer {
  if (isShadowKey(key)) return key;
  return Buffer.isBuffer(key)
    ? Buffer.concat([Buffer.from(SHADOW_KEY_PREFIX), key])
    : SHADOW_KEY_PREFIX + String(key);
}

export function unshadowKey(key: string): string {
  return key.startsWith(SHADOW_KEY_PREFIX) ? key.slice(SHADOW_KEY_PREFIX.length) : key;
}

/** SCAN-style args: prefix the MATCH pattern, or add `MATCH shadow:*`. Best effort. */
export function shadowScanArgs(args: unknown[], patternAt: number): unknown[] {
  const out = [...args];
  for (let i = patternAt; i < out.length - 1; i++) {
    if (keyText(out[i]).toLowerCase() === 'match') {
      out[i + 1] = shadowKey(out[i + 1]);
      return out;
    }
  }
  out.push('MATCH', `${SHADOW_KEY_PREFIX}*`);
  return out;
}
