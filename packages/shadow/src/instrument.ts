// Applies every integration to the process: http servers and clients, fetch/undici,
// and whichever of pg / ioredis / bullmq get loaded. Used by the zero-code preload; a
// service may call it from its own entry point instead.
import http from 'node:http';
import https from 'node:https';
import { patchHttpServer } from './middleware/http.js';
import { patchHttpClient } from './propagation/node-http.js';
import { subscribeUndici } from './propagation/undici-channel.js';
import { type BullmqModule, instrumentBullmq } from './routing/bullmq-guard.js';
import { instrumentPg, type PgModule } from './routing/pg-guard.js';
import { instrumentRedis } from './routing/redis-guard.js';
import type { Shadow } from './shadow.js';

export const INSTRUMENTED_MODULES = ['pg', 'ioredis', 'bullmq'] as const;

export function instrumentNode(shadow: Shadow): void {
  patchHttpServer(shadow, http.Server);
  patchHttpServer(shadow, https.Server);
  patchHttpClient(shadow, http, 'http:');
  patchHttpClient(shadow, https, 'https:');
  subscribeUndici(shadow);
}

/** CJS exports, or an ESM namespace whose CJS exports sit on `default`. */
function pick<T>(exports: unknown, key: string): T | undefined {
  const e = exports as Record<string, unknown> | undefined;
  const d = e?.default as Record<string, unknown> | undefined;
  return (e?.[key] ?? d?.[key]) as T | undefined;
}

/** Idempotent: each integration marks the prototype it patched. */
export function instrumentModule(shadow: Shadow, name: string, exports: unknown): void {
  if (name === 'pg') {
    const Client = pick<PgModule['Client']>(exports, 'Client');
    const Pool = pick<PgModule['Pool']>(exports, 'Pool');
    if (Client) instrumentPg({ Client, Pool }, shadow, { tables: shadow.tables });
  } else if (name === 'ioredis') {
    const Redis = pick<{ prototype: object }>(exports, 'Redis') ?? pick(exports, 'default');
    if (Redis) instrumentRedis(Redis, shadow, { route: true });
  } else if (name === 'bullmq') {
    const Queue = pick<BullmqModule['Queue']>(exports, 'Queue');
    const Worker = pick<BullmqModule['Worker']>(exports, 'Worker');
    if (Queue) instrumentBullmq({ Queue, Worker }, shadow, { route: true });
  }
}
