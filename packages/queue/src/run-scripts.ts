/**
 * A k6 run's script (bundle, source map, opened files) stored once per run in Redis,
 * rather than in every shard job: a thousand agents, or a thousand completed jobs BullMQ
 * keeps, do not each hold a copy. The jobs control signs name the script's SHA-256, so an
 * agent runs only the script control launched, whoever wrote the key.
 */
import { createHash } from 'node:crypto';
import type { Redis } from './connection.js';
import type { RedisNames } from './names.js';

export function scriptDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Stores a run's script for `ttlS` seconds (the run's longest length and some slack). */
export async function putRunScript(
  redis: Redis,
  names: RedisNames,
  runId: string,
  text: string,
  ttlS: number,
): Promise<void> {
  await redis.set(names.runScript(runId), text, 'EX', Math.max(60, Math.ceil(ttlS)));
}

/** The run's script, checked against the digest its signed job names. Throws when it is not. */
export async function getRunScript(
  redis: Redis,
  names: RedisNames,
  runId: string,
  sha256: string,
): Promise<string> {
  const text = await redis.get(names.runScript(runId));
  if (text === null) throw new Error(`the run's script is no longer in Redis (run ${runId})`);
  if (scriptDigest(text) !== sha256) {
    throw new Error("the run's script in Redis is not the one control launched (digest differs)");
  }
  return text;
}

export async function deleteRunScript(
  redis: Redis,
  names: RedisNames,
  runId: string,
): Promise<void> {
  await redis.del(names.runScript(runId));
}
