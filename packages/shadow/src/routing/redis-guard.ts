// Lowest-level Redis integration: patches ioredis's Redis.prototype.sendCommand, which
// every command of every client goes through (pipelines and MULTI included). In a tagged
// context a write to a key outside `shadow:` is refused and reported. With `route: true`
// (the zero-code preload) keys are first moved under `shadow:` instead; scripts are never
// rewritten (their ARGV may name keys too) so they are only checked.
import { currentShadow, type ShadowContext } from '../context.js';
import type { Shadow } from '../shadow.js';
import {
  isScript,
  isShadowKey,
  isWrite,
  keyIndexes,
  keyText,
  shadowKey,
  shadowScanArgs,
} from './redis-keys.js';

interface CommandLike {
  name: string;
  args: unknown[];
  keys?: unknown[];
  reject(err: Error): void;
  promise: Promise<unknown>;
}

type Fn = (this: unknown, ...args: unknown[]) => unknown;

export interface InstrumentRedisOptions {
  /** Rewrite keys into the shadow namespace instead of only refusing. */
  route?: boolean;
}

const PATCHED = Symbol.for('loadline.shadow.ioredis');

/** The first production key a tagged command would write, if any. */
function leakedKey(command: CommandLike, routing: boolean): string | undefined {
  if (!isWrite(command.name)) return undefined;
  const idx = keyIndexes(command.name, command.args);
  if (idx.length === 0) return isScript(command.name) ? undefined : `(${command.name}: all keys)`;
  if (routing && !isScript(command.name)) return undefined;
  const key = idx.map((i) => command.args[i]).find((k) => !isShadowKey(k));
  return key === undefined ? undefined : keyText(key);
}

function route(command: CommandLike): void {
  const name = command.name.toLowerCase();
  if (isScript(name)) return;
  if (name === 'scan') command.args = shadowScanArgs(command.args, 1);
  else if (name === 'keys') command.args[0] = shadowKey(command.args[0]);
  const idx = keyIndexes(name, command.args);
  for (const i of idx) command.args[i] = shadowKey(command.args[i]);
  if (idx.length > 0) command.keys = idx.map((i) => command.args[i]);
}

function leakError(shadow: Shadow, ctx: ShadowContext, command: CommandLike, key: string): Error {
  return shadow.leak(ctx, 'redis', key, `refused ${command.name.toUpperCase()}`);
}

export function instrumentRedis(
  RedisClass: { prototype: object },
  shadow: Shadow,
  options: InstrumentRedisOptions = {},
): void {
  const proto = RedisClass.prototype as Record<string | symbol, unknown>;
  if (proto[PATCHED]) return;
  const routing = options.route ?? false;
  const sendCommand = proto.sendCommand as Fn;

  proto.sendCommand = function guardedSendCommand(this: unknown, ...args: unknown[]) {
    const ctx = currentShadow();
    const command = args[0] as CommandLike;
    // With a stream argument the command is part of a pipeline being flushed: refusing one
    // would stall the batch, so pipelines are checked as a whole in exec (below).
    if (ctx && args[1] === undefined) {
      const key = leakedKey(command, routing);
      if (key !== undefined) {
        command.reject(leakError(shadow, ctx, command, key));
        return command.promise;
      }
    }
    if (ctx && routing) route(command);
    return sendCommand.apply(this, args);
  };

  for (const method of ['pipeline', 'multi'] as const) {
    const original = proto[method] as Fn;
    proto[method] = function guardedBatch(this: unknown, ...args: unknown[]) {
      const batch = original.apply(this, args) as { exec?: Fn; _queue?: CommandLike[] };
      if (!batch || typeof batch.exec !== 'function') return batch;
      const exec = batch.exec;
      batch.exec = function guardedExec(this: unknown, ...execArgs: unknown[]) {
        const ctx = currentShadow();
        for (const command of ctx ? (batch._queue ?? []) : []) {
          const key = leakedKey(command, routing);
          if (key === undefined) continue;
          const err = leakError(shadow, ctx!, command, key);
          const cb = execArgs.at(-1);
          if (typeof cb === 'function') process.nextTick(cb as Fn, err);
          return Promise.reject(err);
        }
        return exec.apply(this, execArgs);
      };
      return batch;
    };
  }
  proto[PATCHED] = true;
}
