/** The demo mall's options, validated once into a complete config before anything starts. */
import { z } from 'zod';

export const SERVICES = ['gateway', 'catalog', 'cart', 'inventory', 'order', 'payment'] as const;
export type ServiceName = (typeof SERVICES)[number];
/** The services behind the gateway: these scale to several instances. */
export const BACKENDS = ['catalog', 'cart', 'inventory', 'order', 'payment'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** CPU milliseconds per request by default: small, so a laptop runs the demo briskly. */
export const DEFAULT_COST_MS: Record<ServiceName, number> = {
  gateway: 0,
  catalog: 0.2,
  cart: 0.2,
  inventory: 0.3,
  order: 0.5,
  payment: 0.5,
};

const Port = z.number().int().min(0).max(65_535);
function perKey<const K extends readonly [string, ...string[]], T extends z.ZodType>(
  keys: K,
  value: T,
) {
  return z.partialRecord(z.enum(keys), value).default({});
}

export const MallConfig = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: Port.default(8080),
  catalogueSize: z.number().int().min(1).max(1_000_000).default(1000),
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected postgres://… or postgresql://…')
    .optional(),
  dataDir: z.string().min(1).optional(),
  /**
   * Carts and the order queue. Omitted: redis://127.0.0.1:6379 if it answers, else none.
   * null: none (browsing works; cart and orders answer 503).
   */
  redisUrl: z
    .string()
    .regex(/^rediss?:\/\//, 'expected redis://… or rediss://…')
    .nullable()
    .optional(),
  redisPrefix: z.string().default('demo:'),
  queueName: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default('orders'),
  instances: perKey(BACKENDS, z.number().int().min(1).max(64)),
  costMs: perKey(SERVICES, z.number().min(0).max(10_000)),
  /** first port of each backend's instances (instance i listens on port + i); 0 = any */
  ports: perKey(BACKENDS, Port),
  paymentFailureRate: z.number().min(0).max(1).default(0),
  /**
   * Shadow traffic: tags signed with `secret` (the environment's key, from control) are
   * trusted; leaks are reported to `controlUrl`. Without it every tag is untrusted.
   */
  shadow: z
    .strictObject({
      secret: z.string().min(16, 'use at least 16 characters of secret'),
      controlUrl: z.url().optional(),
    })
    .optional(),
  /**
   * A deliberately broken order service: it also writes an audit row through the raw
   * database client, bypassing the shadow SDK (leak-guard demonstrations and tests).
   */
  brokenShadowAudit: z.boolean().default(false),
});
export type MallConfig = z.infer<typeof MallConfig>;
export type MallConfigInput = z.input<typeof MallConfig>;

export interface ConfigProblem {
  path: PropertyKey[];
  message: string;
}

/** Options that do not validate: every problem at once, each with its path. */
export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    const text = problems.map(
      (p) => `${p.path.map(String).join('.') || '(options)'}: ${p.message}`,
    );
    super(`bad demo mall options: ${text.join('; ')}`);
  }
}

export function parseConfig(input: unknown): MallConfig {
  const parsed = MallConfig.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ConfigError(parsed.error.issues.map(({ path, message }) => ({ path, message })));
}

export function instancesOf(config: MallConfig, service: BackendName): number {
  return config.instances[service] ?? 1;
}

export function costOf(config: MallConfig, service: ServiceName): number {
  return config.costMs[service] ?? DEFAULT_COST_MS[service];
}
