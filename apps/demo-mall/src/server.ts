/**
 * Starts the demo mall in this process: a gateway in front of catalog, cart, inventory,
 * order and payment, each instance its own HTTP server on its own port, with orders in
 * Postgres, carts in Redis and an order event queue (BullMQ) consumed by inventory.
 */
import type { Redis } from 'ioredis';
import { makeCatalogue } from './catalogue.js';
import {
  type BackendName,
  costOf,
  instancesOf,
  type MallConfig,
  type MallConfigInput,
  parseConfig,
  SERVICES,
  type ServiceName,
} from './config.js';
import { CpuCore, hashesPerMs } from './cpu.js';
import { type Database, migrate, openDatabase } from './db.js';
import { type RequestEvent, type Route, startService } from './http.js';
import { createMetrics, type InstanceMetrics } from './metrics.js';
import { consumeOrders, OrderPublisher, type QueueNames } from './queue.js';
import { bullConnection, connectRedis, resolveRedis } from './redis.js';
import { cartRoutes } from './services/cart.js';
import { catalogRoutes } from './services/catalog.js';
import { gatewayRoutes } from './services/gateway.js';
import { inventoryRoutes, takeStock } from './services/inventory.js';
import { orderRoutes } from './services/order.js';
import { paymentRoutes } from './services/payment.js';
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
  const upstreams = {} as Record<BackendName, Upstream>;
  let usedRedis: string | null = null;
  // Calibrate the CPU cost once, before the first request rather than during it.
  if (SERVICES.some((s) => costOf(config, s) > 0)) hashesPerMs();

  const startInstances = async (
    name: ServiceName,
    count: number,
    routes: (instance: Instance) => Route[],
  ): Promise<Instance[]> => {
    const instances: Instance[] = [];
    services[name] = [];
    for (let index = 0; index < count; index++) {
      const cpu = new CpuCore();
      closers.push(() => cpu.close());
      const instance = { index, cpu, metrics: createMetrics(name, index, () => cpu.busySeconds()) };
      const basePort = name === 'gateway' ? config.port : config.ports[name as BackendName];
      const service = await startService({
        name,
        instance: index,
        host: config.host,
        port: basePort ? basePort + index : 0,
        routes: routes(instance),
        cpu,
        costMs: costOf(config, name),
        metrics: instance.metrics,
        onRequest,
      });
      closers.push(() => service.close());
      services[name].push(service.url);
      instances.push(instance);
    }
    if (name !== 'gateway') {
      const upstream = new Upstream(name, services[name]);
      closers.push(() => upstream.close());
      upstreams[name as BackendName] = upstream;
    }
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
    await migrate(db, products);
    const connection = redisUrl === null ? undefined : bullConnection(redisUrl);
    const names: QueueNames = { prefix: `${config.redisPrefix}bull`, queue: config.queueName };

    await startInstances('catalog', instancesOf(config, 'catalog'), () => catalogRoutes(products));
    await startInstances('payment', instancesOf(config, 'payment'), () =>
      paymentRoutes(config.paymentFailureRate),
    );
    const inventory = await startInstances('inventory', instancesOf(config, 'inventory'), () =>
      inventoryRoutes(db),
    );
    if (connection) {
      for (const instance of inventory) {
        startConsumer(config, db, instance, connection, names, log, closers);
      }
    }
    await startInstances('cart', instancesOf(config, 'cart'), () => {
      let redis: Redis | undefined;
      if (redisUrl !== null) {
        const client = connectRedis(redisUrl);
        closers.push(() => client.disconnect());
        redis = client;
      }
      return cartRoutes({ redis, prefix: config.redisPrefix, catalog: upstreams.catalog });
    });
    await startInstances('order', instancesOf(config, 'order'), () => {
      let publisher: OrderPublisher | undefined;
      if (connection) {
        const opened = new OrderPublisher(connection, names);
        closers.push(() => opened.close());
        publisher = opened;
      }
      const { cart, inventory, payment } = upstreams;
      return orderRoutes({ db, cart, inventory, payment, publisher, log });
    });
    await startInstances('gateway', 1, () => gatewayRoutes(upstreams));
  } catch (error) {
    await closers.run();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    url: services.gateway[0] as string,
    services,
    redisUrl: usedRedis,
    close: () => {
      closing ??= closers.run();
      return closing;
    },
  };
}

function startConsumer(
  config: MallConfig,
  db: Database,
  instance: Instance,
  connection: ReturnType<typeof bullConnection>,
  names: QueueNames,
  log: (line: string) => void,
  closers: Closers,
): void {
  const cost = costOf(config, 'inventory');
  const worker = consumeOrders(
    connection,
    names,
    async (event) => {
      await instance.cpu.burn(cost);
      await takeStock(db, event);
    },
    (outcome, error) => {
      instance.metrics.countJob(names.queue, outcome);
      if (error) log(`inventory ${instance.index}: order-placed job failed: ${error.message}`);
    },
  );
  closers.push(() => worker.close());
}
