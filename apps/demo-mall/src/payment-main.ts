#!/usr/bin/env node
// The payment service as a process of its own, adopting shadow traffic with zero code:
// the mall starts it as `node --import @loadline/shadow/register payment-main.js`, with
// LOADLINE_SHADOW_SECRET, LOADLINE_SHADOW_INTERNAL_HOSTS, LOADLINE_CONTROL_URL and
// LOADLINE_SERVICE_NAME in its environment. Nothing here imports the SDK.
// Prints `{"url": …}` once listening; exits when stdin closes (its parent is gone) or on
// SIGTERM.
import { parseArgs } from 'node:util';
import { DemoPaymentEnv, parseEnv } from '@loadline/config';
import { Redis } from 'ioredis';
import { CpuCore } from './cpu.js';
import { startService } from './http.js';
import { createMetrics } from './metrics.js';
import { paymentRoutes } from './services/payment.js';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    instance: { type: 'string', default: '0' },
    'failure-rate': { type: 'string', default: '0' },
    'cost-ms': { type: 'string', default: '0' },
    redis: { type: 'string' },
    'redis-prefix': { type: 'string', default: 'demo:' },
  },
});

const instance = Number(values.instance);
const cpu = new CpuCore();
// Its calibration runs now, before the first request rather than during it.
if (Number(values['cost-ms']) > 0) cpu.warm();
// From the environment by preference: a URL with a password must not show in `ps`.
const env = parseEnv(DemoPaymentEnv, process.env);
const redisUrl = env.DEMO_PAYMENT_REDIS_URL ?? values.redis;
const redis = redisUrl
  ? new Redis(redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2000 })
  : undefined;
redis?.on('error', () => {});
const service = await startService({
  name: 'payment',
  instance,
  host: values.host,
  port: Number(values.port),
  routes: paymentRoutes(
    Number(values['failure-rate']),
    redis ? { redis, prefix: values['redis-prefix'] } : undefined,
  ),
  cpu,
  costMs: Number(values['cost-ms']),
  metrics: createMetrics('payment', instance, () => cpu.busySeconds()),
  // The preload verified the tag before this listener ran and stripped it if untrusted:
  // a tag still on the request is a trusted one.
  traffic: (req) => (req.headers['x-loadline-shadow'] === undefined ? 'production' : 'shadow'),
});
process.stdout.write(`${JSON.stringify({ url: service.url })}\n`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await service.close();
  redis?.disconnect();
  await cpu.close();
  process.exit(0);
}
process.stdin.on('end', () => void stop());
process.stdin.resume();
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
