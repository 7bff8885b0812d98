/**
 * Starts the demo mall: a gateway in front of catalog, cart, inventory, order and
 * payment, each instance its own HTTP server on its own port, with orders in Postgres,
 * carts in Redis and an order event queue (BullMQ) consumed by inventory. Payment runs as
 * child processes under the zero-code shadow preload; the rest in this process, adopting
 * the shadow SDK explicitly (see shadow.ts).
 */
import http from 'node:http';
import { type ShadowCounters, shadowRedis } from '@loadline/shadow';
import type { Redis } from 'ioredis';
import { makeCatalogue } from './catalogue.js';
import {
  type BackendName,
  costOf,
  instancesOf,
  type MallConfig,
  type MallConfigInput,
  parseConfig,
  type ServiceName,
} from './config.js';
import { CpuCore } from './cpu.js';
import { type Database, migrate, openDatabase } from './db.js';
import { type RequestEvent, type Route, startService } from './http.js';
import { createMetrics, type InstanceMetrics } from './metrics.js';
import { startPaymentProcess } from './payment-process.js';
import { consumeOrders, OrderPublisher, type QueueNames } from './queue.js';
import { bullConnection, connectRedis, resolveRedis } from './redis.js';
import { cartRoutes } from './services/cart.js';
import { catalogRoutes } from './services/catalog.js';
import { gatewayRoutes } from './services/gateway.js';
import { inventoryRoutes, takeStock } from './services/inventory.js';
import { orderRoutes } from './services/order.js';
import {
  guardProcess,
  MallShadow,
  prepareShadowTables,
  serviceShadowing,
  shadowDatabase,
  shadowHttp,
} from './shadow.js';
import { Upstream } from './upstream.js';

export interface DemoMallOptions extends MallConfigInput {
  /** Sees every request each service instance receives (tests, tracing). */
  onRequest?: (event: RequestEvent) => void;
  /** Problems the mall works around (a failed queue job, a cart left unemptied). */
  log?: (line: string) => void;
}

export interface DemoMall {
  /** the gateway */
  url: string;
  /** every instance's base URL, by service; each serves /metrics and /healthz */
  services: Record<ServiceName, string[]>;
  /** the Redis holding carts and the order queue; null when the mall runs without one */
  redisUrl: string | null;
  shadow: {
    /** false without a secret: every tag is untrusted, all traffic is production */
    trusted: boolean;
    /** per service: tags accepted, untrusted by reason, leaks refused (payment excluded) */
    counters(): Record<string, ShadowCounters>;
  };
  close(): Promise<void>;
}

export type { RequestEvent, ServiceName };

interface Instance {
  index: number;
  cpu: CpuCore;
  metrics: InstanceMetrics;
}

/** Closes what started so far in reverse order; used by close() and by a failed start. */
class Closers {
  readonly #stack: Array<() => unknown> = [];
  push(close: () => unknown): void {
    this.#stack.push(close);
  }
  async run(): Promise<void> {
    while (this.#stack.length > 0) {
      try {
        await this.#stack.pop()?.();
      } catch {
        // Keep closing the rest.
      }
    }
  }
}

export async function startDemoMall(options: DemoMallOptions = {}): Promise<DemoMall> {
  const { onRequest, log = () => {}, ...input } = options;
  const config = parseConfig(input);
  const closers = new Closers();
  const services = {} as Record<ServiceName, string[]>;
  const shadows = new MallShadow({ ...config.shadow, log });
  let usedRedis: string | null = null;

  /** A caller's own clients for the services it calls: tagging with the caller's Shadow. */
  const upstreamsFor = <B extends BackendName>(caller: ServiceName, backends: readonly B[]) => {
    const request = shadowHttp(shadows.forService(caller), http.request);
    const out = {} as Record<B, Upstream>;
    for (const name of backends) {
      const upstream = new Upstream(name, services[name], request);
      closers.push(() => upstream.close());
      out[name] = upstream;
    }
    return out;
  };

  const startInstances = async (
    name: ServiceName,
    count: number,
    routes: (instance: Instance) => Route[],
  ): Promise<Instance[]> => {
    const instances: Instance[] = [];
    const shadowing = serviceShadowing(shadows.forService(name));
    services[name] = [];
    for (let index = 0; index < count; index++) {
      const cpu = new CpuCore();
      closers.push(() => cpu.close());
      // Its calibration runs now, before the first request rather than during it.
      if (costOf(config, name) > 0) cpu.warm();
      const instance = { index, cpu, metrics: createMetrics(name, index, () => cpu.busySeconds()) };
      const service = await startService({
        name,
        instance: index,
        host: config.host,
        port: portOf(config, name, index),
        routes: routes(instance),
        cpu,
        costMs: costOf(config, name),
        metrics: instance.metrics,
        onRequest,
        ...shadowing,
      });
      closers.push(() => service.close());
      services[name].push(service.url);
      instances.push(instance);
    }
    shadows.addInternal(name, services[name]);
    return instances;
  };

  try {
    // Both at once (PGlite takes seconds to start); whatever opened is closed on failure.
    const [opened, resolved] = await Promise.allSettled([
      openDatabase(config),
      resolveRedis(config.redisUrl, log),
    ]);
    if (opened.status === 'fulfilled') closers.push(() => opened.value.close());
    if (opened.status === 'rejected') throw opened.reason;
    if (resolved.status === 'rejected') throw resolved.reason;
    const db = opened.value;
    const redisUrl = resolved.value;
    usedRedis = redisUrl;
    const products = makeCatalogue(config.catalogueSize);
    await migrate(db, products, { audit: config.brokenShadowAudit });
    if (shadows.trusted) await prepareShadowTables(db, products);
    await guardProcess(shadows.forService('mall'), config);
    // Leak reports in flight get out before anything closes.
    closers.push(() => shadows.flush());
    const connection = redisUrl === null ? undefined : bullConnection(redisUrl);
    const names: QueueNames = { prefix: `${config.redisPrefix}bull`, queue: config.queueName };

    await startInstances('catalog', instancesOf(config, 'catalog'), () => catalogRoutes(products));
    await startPayments(config, shadows, redisUrl, services, closers, log);
    const inventoryDb = shadowDatabase(db, shadows.forService('inventory'));
    const inventory = await startInstances('inventory', instancesOf(config, 'inventory'), () =>
      inventoryRoutes(inventoryDb),
    );
    if (connection) {
      for (const instance of inventory) {
        startConsumer(config, shadows, inventoryDb, instance, connection, names, log, closers);
      }
    }
    const cartDeps = upstreamsFor('cart', ['catalog']);
    await startInstances('cart', instancesOf(config, 'cart'), () => {
      let redis: Redis | undefined;
      if (redisUrl !== null) {
        const client = shadowRedis(connectRedis(redisUrl));
        closers.push(() => client.disconnect());
        redis = client;
      }
      return cartRoutes({ redis, prefix: config.redisPrefix, catalog: cartDeps.catalog });
    });
    const orderDeps = upstreamsFor('order', ['cart', 'inventory', 'payment']);
    const orderDb = shadowDatabase(db, shadows.forService('order'));
    await startInstances('order', instancesOf(config, 'order'), () => {
      let publisher: OrderPublisher | undefined;
      if (connection) {
        const opened = new OrderPublisher(connection, names);
        closers.push(() => opened.close());
        publisher = opened;
      }
      const rawAudit = config.brokenShadowAudit ? db : undefined;
      return orderRoutes({ db: orderDb, ...orderDeps, publisher, rawAudit, log });
    });
    const gatewayDeps = upstreamsFor('gateway', ['catalog', 'cart', 'order', 'inventory']);
    await startInstances('gateway', 1, () => gatewayRoutes(gatewayDeps));
  } catch (error) {
    await closers.run();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    url: services.gateway[0] as string,
    services,
    redisUrl: usedRedis,
    shadow: { trusted: shadows.trusted, counters: () => shadows.counters() },
    close: () => {
      closing ??= closers.run();
      return closing;
    },
  };
}

function portOf(config: MallConfig, name: ServiceName, index: number): number {
  const basePort = name === 'gateway' ? config.port : config.ports[name as BackendName];
  return basePort ? basePort + index : 0;
}

/** Payment instances: child processes adopting shadow traffic through the preload alone. */
async function startPayments(
  config: MallConfig,
  shadows: MallShadow,
  redisUrl: string | null,
  services: Record<ServiceName, string[]>,
  closers: Closers,
  log: (line: string) => void,
): Promise<void> {
  const controlUrl = config.shadow?.controlUrl;
  const shadowEnv = {
    LOADLINE_SHADOW_SECRET: shadows.secret,
    // Its own port is known only once it listens: any port of the mall's host is internal
    // for payment, which is never a run's target.
    LOADLINE_SHADOW_INTERNAL_HOSTS: [...shadows.internalHosts, config.host].join(','),
    LOADLINE_SERVICE_NAME: 'demo-mall/payment',
    ...(controlUrl ? { LOADLINE_CONTROL_URL: controlUrl } : {}),
  };
  const count = instancesOf(config, 'payment');
  const started = await Promise.all(
    Array.from({ length: count }, (_, instance) =>
      startPaymentProcess({
        instance,
        host: config.host,
        port: portOf(config, 'payment', instance),
        failureRate: config.paymentFailureRate,
        costMs: costOf(config, 'payment'),
        redisUrl,
        redisPrefix: config.redisPrefix,
        shadowEnv,
        log,
      }).then((p) => {
        closers.push(() => p.close());
        return p;
      }),
    ),
  );
  services.payment = started.map((p) => p.url);
  shadows.addInternal('payment', services.payment);
}

function startConsumer(
  config: MallConfig,
  shadows: MallShadow,
  db: Database,
  instance: Instance,
  connection: ReturnType<typeof bullConnection>,
  names: QueueNames,
  log: (line: string) => void,
  closers: Closers,
): void {
  const cost = costOf(config, 'inventory');
  const consumer = consumeOrders(
    shadows.forService('inventory'),
    connection,
    names,
    async (event) => {
      await instance.cpu.burn(cost);
      await takeStock(db, event);
    },
    (outcome, traffic, error) => {
      instance.metrics.countJob(names.queue, outcome, traffic);
      if (error) log(`inventory ${instance.index}: order-placed job failed: ${error.message}`);
    },
  );
  closers.push(() => consumer.close());
}
