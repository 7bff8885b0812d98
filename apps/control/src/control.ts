import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  ControlEnv,
  DEFAULT_API_PORT,
  DEFAULT_DATA_DIR,
  DEFAULT_REDIS_URL,
  parseEnv,
  type RawEnv,
} from '@loadline/config';
import { MetadataStore } from '@loadline/metadata';
import { connectRedis, type Redis, RedisNames, ResultsReader, ShardQueue } from '@loadline/queue';
import { ResultStore } from '@loadline/store';
import { RunCoordinator } from './coordinator.js';
import { lockDataDir } from './data-dir-lock.js';
import { Ingest } from './ingest.js';
import { recoverOrphanedRuns } from './recovery.js';
import { buildRoutes, CreateRunBody, launchRun, type RouteDeps } from './routes.js';
import { ScheduleDriver } from './schedules.js';
import { environmentSecret, loadMasterSecret } from './shadow-secret.js';

export interface ControlConfig {
  host: string;
  port: number;
  /** embedded state (PGlite, chdb) lives here */
  dataDir: string;
  databaseUrl?: string;
  clickhouseUrl?: string;
  redisUrl: string;
  namespace: string;
  claimTimeoutMs: number;
  startDelayMs: number;
  /** master secret for shadow tags; generated into dataDir when unset */
  shadowSecret?: string;
  log: (line: string) => void;
}

/**
 * The control config from its environment and the caller's overrides (flags). The
 * environment is parsed here with ControlEnv, once at start (nothing else in control reads
 * process.env); an already parsed one (the CLI's CliEnv) parses to itself. A bad variable
 * throws EnvError naming it.
 */
export function configFromEnv(env: RawEnv, overrides: Partial<ControlConfig> = {}): ControlConfig {
  const parsed = parseEnv(ControlEnv, env);
  const api = new URL(parsed.LOADLINE_API);
  return {
    host: api.hostname,
    port: api.port ? Number(api.port) : DEFAULT_API_PORT,
    dataDir: parsed.LOADLINE_DATA_DIR ?? join(process.cwd(), DEFAULT_DATA_DIR),
    ...(parsed.DATABASE_URL ? { databaseUrl: parsed.DATABASE_URL } : {}),
    ...(parsed.CLICKHOUSE_URL ? { clickhouseUrl: parsed.CLICKHOUSE_URL } : {}),
    ...(parsed.LOADLINE_SHADOW_SECRET ? { shadowSecret: parsed.LOADLINE_SHADOW_SECRET } : {}),
    redisUrl: parsed.REDIS_URL ?? DEFAULT_REDIS_URL,
    namespace: parsed.LOADLINE_NAMESPACE,
    claimTimeoutMs: 30_000,
    startDelayMs: 1000,
    log: () => {},
    ...overrides,
  };
}

/** The control process: API, coordinator and ingest over one metadata DB, store and Redis. */
export class Control {
  readonly url: string;
  readonly #server: http.Server;
  readonly #metadata: MetadataStore;
  readonly #store: ResultStore;
  readonly #redis: Redis;
  readonly #queue: ShardQueue;
  readonly #coordinator: RunCoordinator;
  readonly #ingest: Ingest;
  readonly #schedules: ScheduleDriver;
  readonly #masterSecret: string;
  readonly #unlock: () => void;

  private constructor(parts: {
    url: string;
    unlock: () => void;
    masterSecret: string;
    server: http.Server;
    metadata: MetadataStore;
    store: ResultStore;
    redis: Redis;
    queue: ShardQueue;
    coordinator: RunCoordinator;
    ingest: Ingest;
    schedules: ScheduleDriver;
  }) {
    this.url = parts.url;
    this.#server = parts.server;
    this.#metadata = parts.metadata;
    this.#store = parts.store;
    this.#redis = parts.redis;
    this.#queue = parts.queue;
    this.#coordinator = parts.coordinator;
    this.#ingest = parts.ingest;
    this.#schedules = parts.schedules;
    this.#masterSecret = parts.masterSecret;
    this.#unlock = parts.unlock;
  }

  /** The key services of environment `name` verify this control's shadow tags with. */
  shadowSecretFor(name: string): string {
    return environmentSecret(this.#masterSecret, name);
  }

  static async start(config: ControlConfig): Promise<Control> {
    // Embedded stores assume one process; with both stores on servers, replicas may share it.
    const embedded = !config.databaseUrl || !config.clickhouseUrl;
    const unlock = embedded ? lockDataDir(config.dataDir) : () => {};
    try {
      return await Control.#start(config, unlock);
    } catch (error) {
      unlock();
      throw error;
    }
  }

  static async #start(config: ControlConfig, unlock: () => void): Promise<Control> {
    const masterSecret = loadMasterSecret(config.shadowSecret, config.dataDir);
    const metadata = await MetadataStore.open(
      config.databaseUrl ? { url: config.databaseUrl } : { dataDir: join(config.dataDir, 'pg') },
    );
    await metadata.migrate();
    // The built-in environment for one machine: loopback only.
    await metadata.upsertEnvironment({
      name: 'local',
      baseUrls: {},
      allowedHosts: ['127.0.0.0/8', '::1', 'localhost'],
      requiresShadow: false,
    });
    const store = await ResultStore.open(
      config.clickhouseUrl
        ? { mode: 'server', url: config.clickhouseUrl }
        : { mode: 'embedded', path: join(config.dataDir, 'clickhouse') },
    );
    await store.migrate();
    const redis = connectRedis(config.redisUrl);
    redis.on('error', (error) => config.log(`redis: ${error.message}`));
    const names = new RedisNames(config.namespace);
    const queue = new ShardQueue(redis, names, config.log);
    const consumer = `control@${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const coordinator = new RunCoordinator(metadata, redis, names, queue, {
      claimTimeoutMs: config.claimTimeoutMs,
      startDelayMs: config.startDelayMs,
      coordinatorId: consumer,
      log: config.log,
      storeTargetMetrics: (rows) => store.insertTargetMetrics(rows),
    });
    // Runs a previous control left active are settled before taking new work.
    await recoverOrphanedRuns(metadata, store, config.log);
    const ingest = new Ingest(new ResultsReader(redis, names, consumer), store, {
      onRows: (rows) => coordinator.onRows(rows),
      onMessage: (message) => coordinator.onMessage(message),
      log: config.log,
    });
    await ingest.start();
    const deps: RouteDeps = {
      metadata,
      store,
      redis,
      names,
      coordinator,
      schedules: undefined as never,
      shadowSecretFor: (name) => environmentSecret(masterSecret, name),
      log: config.log,
    };
    const schedules = new ScheduleDriver(
      redis,
      names,
      metadata,
      async (schedule) => {
        const options = schedule.options as { overrides?: unknown };
        const input = CreateRunBody.parse({
          scenario: schedule.scenario,
          ...(schedule.scenarioVersion === null ? {} : { version: schedule.scenarioVersion }),
          environment: schedule.environment,
          agents: schedule.agents,
          overrides: options.overrides ?? {},
        });
        await launchRun(deps, input, schedule.id);
      },
      config.log,
    );
    deps.schedules = schedules;
    await schedules.sync();
    const server = http.createServer(buildRoutes(deps).listener());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, resolve);
    });
    const address = server.address() as AddressInfo;
    const url = `http://${address.address}:${address.port}`;
    config.log(`control API on ${url}`);
    return new Control({
      url,
      unlock,
      masterSecret,
      server,
      metadata,
      store,
      redis,
      queue,
      coordinator,
      ingest,
      schedules,
    });
  }

  async close(): Promise<void> {
    await this.#coordinator.close();
    await new Promise<void>((resolve) => {
      this.#server.closeAllConnections();
      this.#server.close(() => resolve());
    });
    await this.#schedules.close();
    await this.#ingest.stop();
    await this.#queue.close();
    this.#redis.disconnect();
    await this.#store.close();
    await this.#metadata.close();
    this.#unlock();
  }
}
