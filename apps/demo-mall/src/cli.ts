/**
 * `npm run demo` flags → mall options, and the banner it prints. Pure functions: main.ts
 * does the reading, printing and signals.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_REDIS_URL, type DemoMallEnv } from '@loadline/config';
import { type BackendName, ConfigError, type MallConfig, parseConfig, SERVICES } from './config.js';
import type { DemoMall, DemoMallOptions } from './server.js';

export const USAGE = `usage: npm run demo -- [options]

  --port N                    gateway port (default 8080)
  --host H                    interface to listen on (default 127.0.0.1)
  --instances catalog=2,...   instances per service (catalog, cart, inventory, order, payment)
  --cost order=5ms,...        CPU work per request per service (also gateway); ms, s or us
  --payment-failure-rate R    share of charges declined, 0..1 (default 0)
  --redis URL                 carts and the order queue (default REDIS_URL, else
                              ${DEFAULT_REDIS_URL} when it answers, else none)
  --no-redis                  run without Redis: browsing only, cart and orders answer 503
  --redis-prefix P            Redis key prefix (default demo:)
  --database-url URL          orders in a Postgres server (default DATABASE_URL)
  --data-dir DIR              orders in embedded Postgres (PGlite) under DIR (default: memory)
  --catalogue-size N          products (default 1000)

Shadow traffic (environment):
  LOADLINE_SHADOW_SECRET      the environment's shadow key (control's shadowSecretFor):
                              tags signed with it are shadow traffic, routed to shadow
                              tables, keys and queues. Unset: every tag is untrusted and
                              all traffic is production.
  LOADLINE_CONTROL_URL        where leak reports go (POST /runs/:id/leaks)
`;

export class UsageError extends Error {}

export type Parsed = { help: true } | { help: false; options: DemoMallOptions; config: MallConfig };

function pairs(flag: string, text: string | undefined): Array<[string, string]> {
  if (text === undefined) return [];
  return text.split(',').map((part) => {
    const [key, value, ...rest] = part.split('=');
    if (!key || value === undefined || rest.length > 0) {
      throw new UsageError(`${flag}: expected name=value[,name=value…], got "${text}"`);
    }
    return [key.trim(), value.trim()];
  });
}

function number(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new UsageError(`${flag}: expected a number, got "${text}"`);
  }
  return value;
}

/** "5ms", "0.5ms", "2" (ms), "1s", "200us" → milliseconds */
export function parseCost(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|us|µs)?$/.exec(text);
  if (!match)
    throw new UsageError(`--cost: expected a duration like 5ms, 0.5ms or 1s, got "${text}"`);
  const value = Number(match[1]);
  const unit = match[2] ?? 'ms';
  return unit === 's' ? value * 1000 : unit === 'ms' ? value : value / 1000;
}

/** `env` is the parsed environment (DemoMallEnv); flags override it. */
export function parseCli(argv: string[], env: DemoMallEnv): Parsed {
  let values: ReturnType<typeof read>;
  try {
    values = read(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return { help: true };
  const options: DemoMallOptions = {
    ...(values.port === undefined ? {} : { port: number('--port', values.port) }),
    ...(values.host === undefined ? {} : { host: values.host }),
    instances: Object.fromEntries(
      pairs('--instances', values.instances).map(([k, v]) => [k, number('--instances', v)]),
    ) as Partial<Record<BackendName, number>>,
    costMs: Object.fromEntries(pairs('--cost', values.cost).map(([k, v]) => [k, parseCost(v)])),
    redisUrl: values['no-redis'] ? null : (values.redis ?? env.REDIS_URL),
    ...(values['redis-prefix'] === undefined ? {} : { redisPrefix: values['redis-prefix'] }),
    databaseUrl: values['database-url'] ?? env.DATABASE_URL,
    dataDir: values['data-dir'],
  };
  if (env.LOADLINE_SHADOW_SECRET) {
    options.shadow = {
      secret: env.LOADLINE_SHADOW_SECRET,
      ...(env.LOADLINE_CONTROL_URL ? { controlUrl: env.LOADLINE_CONTROL_URL } : {}),
    };
  }
  if (values['payment-failure-rate'] !== undefined) {
    options.paymentFailureRate = number('--payment-failure-rate', values['payment-failure-rate']);
  }
  if (values['catalogue-size'] !== undefined) {
    options.catalogueSize = number('--catalogue-size', values['catalogue-size']);
  }
  for (const key of ['redisUrl', 'databaseUrl', 'dataDir'] as const) {
    if (options[key] === undefined) delete options[key];
  }
  try {
    return { help: false, options, config: parseConfig(options) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const problems = error.problems.map(({ path: [key, ...rest], message }) => {
      if (key === 'shadow') {
        return `${rest[0] === 'controlUrl' ? 'LOADLINE_CONTROL_URL' : 'LOADLINE_SHADOW_SECRET'}: ${message}`;
      }
      const flag = FLAGS[String(key)] ?? String(key);
      return `${[flag, ...rest.map(String)].join('.')}: ${message}`;
    });
    throw new UsageError(problems.join('; '));
  }
}

/** option → the flag that sets it, for messages */
const FLAGS: Record<string, string> = {
  port: '--port',
  host: '--host',
  instances: '--instances',
  costMs: '--cost',
  paymentFailureRate: '--payment-failure-rate',
  redisUrl: '--redis',
  redisPrefix: '--redis-prefix',
  databaseUrl: '--database-url',
  dataDir: '--data-dir',
  catalogueSize: '--catalogue-size',
};

function read(argv: string[]) {
  const text = { type: 'string' } as const;
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      port: text,
      host: text,
      instances: text,
      cost: text,
      'payment-failure-rate': text,
      redis: text,
      'no-redis': { type: 'boolean' },
      'redis-prefix': text,
      'database-url': text,
      'data-dir': text,
      'catalogue-size': text,
    },
  }).values;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
}

export function banner(mall: DemoMall, config: MallConfig): string {
  const store = config.databaseUrl
    ? `Postgres ${redact(config.databaseUrl)}`
    : `PGlite (${config.dataDir ?? 'in memory'})`;
  const carts = mall.redisUrl
    ? `Redis ${redact(mall.redisUrl)} (keys ${config.redisPrefix}*)`
    : 'none (no Redis: cart and orders answer 503)';
  const shadow = mall.shadow.trusted
    ? `trusted when signed with LOADLINE_SHADOW_SECRET; leaks reported to ${config.shadow?.controlUrl ?? '(nowhere: LOADLINE_CONTROL_URL unset)'}`
    : 'no LOADLINE_SHADOW_SECRET: every shadow tag is untrusted, all traffic is production';
  return [
    `Demo mall is up at ${mall.url}`,
    '  GET /api/products?page=N, /api/products/:id, /api/inventory/:id',
    '  POST /api/cart {userId, productId, qty}, GET /api/cart/:userId',
    '  POST /api/orders {userId}, GET /api/orders/:id',
    '',
    ...SERVICES.map((name) => `  ${name.padEnd(10)} ${mall.services[name].join(' ')}`),
    '  (each instance serves /metrics and /healthz)',
    `  orders     ${store}`,
    `  carts      ${carts}`,
    `  shadow     ${shadow}`,
    '',
    'Ctrl-C stops it.',
    '',
  ].join('\n');
}
