/**
 * How the in-process services adopt the shadow SDK explicitly: one `Shadow` per service
 * (its name goes into leak reports), trusting tags signed with the environment's key —
 * bound to the gateway's address, or arriving at the service's own instances (a hop
 * inside the mall) — and tagging calls only to the mall's own instances; leak reports
 * signed with that key; the database wrapped so shadow writes
 * land in `shadow_` tables; and the process-wide fail-closed guard over raw pg, ioredis
 * and BullMQ clients. Without a secret, a random one: no tag verifies, so every tagged
 * request is production traffic.
 */
import { randomBytes } from 'node:crypto';
import {
  controlLeakReporter,
  createShadow,
  currentTraffic,
  instrumentBullmq,
  instrumentPg,
  instrumentRedis,
  type Shadow,
  type ShadowCounters,
  shadowListener,
  shadowQueryable,
  shadowRequest,
} from '@loadline/shadow';
import * as bullmq from 'bullmq';
import { Redis } from 'ioredis';
import type { Product } from './catalogue.js';
import type { MallConfig } from './config.js';
import { type Database, type Queryable, SHADOWED_TABLES } from './db.js';
import type { ServiceOptions } from './http.js';
import type { RequestFn } from './upstream.js';

export interface MallShadowOptions {
  secret?: string | undefined;
  controlUrl?: string | undefined;
  log: (line: string) => void;
}

/** The shadow side of one mall: a Shadow per service, created as the service starts. */
export class MallShadow {
  /** false: no secret was given; every tag is untrusted. */
  readonly trusted: boolean;
  readonly secret: string;
  readonly #controlUrl: string | undefined;
  readonly #log: (line: string) => void;
  readonly #internalHosts: string[] = [];
  readonly #services = new Map<string, Shadow>();

  constructor(options: MallShadowOptions) {
    this.trusted = options.secret !== undefined;
    this.secret = options.secret ?? randomBytes(32).toString('base64url');
    this.#controlUrl = options.controlUrl;
    this.#log = options.log;
  }

  /**
   * A service's instances, once they listen: hosts a service started later may send the
   * tag to, and where the service itself accepts tags as an internal hop. Not the
   * gateway's: runs are aimed at it, so it takes only tags bound to its own address.
   */
  addInternal(service: string, urls: readonly string[]): void {
    const hosts = urls.map((url) => new URL(url).host);
    this.#internalHosts.push(...hosts);
    if (service !== 'gateway') this.#services.get(service)?.addInternalHosts(hosts);
  }

  get internalHosts(): readonly string[] {
    return this.#internalHosts;
  }

  /** The service's Shadow: its own counters and name, the hosts started before it. */
  forService(service: string): Shadow {
    let shadow = this.#services.get(service);
    if (!shadow) {
      const controlUrl = this.#controlUrl;
      shadow = createShadow({
        secret: this.secret,
        tables: SHADOWED_TABLES,
        internalHosts: [...this.#internalHosts],
        service: `demo-mall/${service}`,
        ...(controlUrl
          ? { leakReporter: controlLeakReporter({ controlUrl, secret: this.secret }) }
          : {}),
        log: (event, fields) => this.#log(`${service}: ${event} ${JSON.stringify(fields)}`),
      });
      this.#services.set(service, shadow);
    }
    return shadow;
  }

  counters(): Record<string, ShadowCounters> {
    return Object.fromEntries([...this.#services].map(([name, s]) => [name, s.counters]));
  }

  /** Leak reports still in flight (close() waits for them). */
  async flush(): Promise<void> {
    await Promise.all([...this.#services.values()].map((s) => s.flush()));
  }
}

/** The listener wrap and traffic label `startService` takes for an SDK service. */
export function serviceShadowing(shadow: Shadow): Pick<ServiceOptions, 'wrap' | 'traffic'> {
  return { wrap: (listener) => shadowListener(shadow, listener), traffic: () => currentTraffic() };
}

/** Outgoing calls that carry a verified tag to the mall's own instances only. */
export function shadowHttp(shadow: Shadow, request: RequestFn): RequestFn {
  return shadowRequest(shadow, request);
}

/**
 * The mall's Database with both query paths routed: `query`, and each transaction's
 * handle (the SDK cannot reach PGlite's `transaction(tx => …)` handles by itself).
 */
export function shadowDatabase(db: Database, shadow: Shadow): Database {
  const options = { shadow, tables: SHADOWED_TABLES };
  const routed = shadowQueryable<Queryable>(
    { query: (sql, params) => db.query(sql, params) },
    options,
  );
  return {
    kind: db.kind,
    query: (sql, params) => routed.query(sql, params),
    transaction: (fn) => db.transaction((tx) => fn(shadowQueryable(tx, options))),
    close: () => db.close(),
  };
}

/**
 * Shadow tables as copies of the production ones (the SDK would create them on first use)
 * and shadow stock as at opening: shadow buyers need something to reserve.
 */
export async function prepareShadowTables(db: Database, products: Product[]): Promise<void> {
  for (const table of SHADOWED_TABLES) {
    await db.query(`create table if not exists shadow_${table} (like ${table} including all)`);
  }
  await db.query(
    `insert into shadow_inventory (product_id, stock)
     select * from unnest($1::int[], $2::int[]) on conflict (product_id) do nothing`,
    [products.map((p) => p.id), products.map((p) => p.stock)],
  );
}

/**
 * Fail closed for clients that bypass the wrappers: in a tagged context a raw pg, ioredis
 * or BullMQ write to production is refused and reported. The patches are process-wide and
 * idempotent, so the first mall of a process reports for every later one.
 */
export async function guardProcess(shadow: Shadow, config: MallConfig): Promise<void> {
  instrumentRedis(Redis, shadow);
  instrumentBullmq(bullmq, shadow);
  if (config.databaseUrl) {
    const { default: pg } = await import('pg');
    instrumentPg(pg, shadow);
  }
}
