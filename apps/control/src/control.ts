import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { controlSigningKeys, deriveKey, signText } from '@loadline/access';
import { LOOPBACK_HOSTS, type SaturationLimits } from '@loadline/api';
import {
  ControlEnv,
  controlGraceMs,
  DEFAULT_API_PORT,
  DEFAULT_DATA_DIR,
  DEFAULT_REDIS_URL,
  EnvError,
  listItems,
  parseEnv,
  type RawEnv,
  type RedisTopology,
  redisTopology,
  saturationSetting,
} from '@loadline/config';
import { saturationLimits } from '@loadline/engine';
import { MetadataStore } from '@loadline/metadata';
import {
  ClockFilter,
  CONTROL_CLOCK_EVERY_MS,
  connectRedis,
  duplicateRedis,
  publishControlClock,
  type Redis,
  RedisNames,
  ResultsReader,
  ShardQueue,
} from '@loadline/queue';
import { ResultStore } from '@loadline/store';
import { AgentKeyring } from './access/agent-keyring.js';
import { expireApprovals } from './access/approvals.js';
import { ensureFirstAdmin, type FirstAdmin, issueMachineToken } from './access/bootstrap.js';
import { AccessGate } from './access/gate.js';
import { type OidcConfig, oidcLogin, parseRoleRules } from './access/oidc.js';
import { SYSTEM } from './access/principal.js';
import { SignInLimiter } from './access/sign-in-limiter.js';
import type { ControlKeys } from './api/deps.js';
import { relaunch } from './api/launch.js';
import { RunCoordinator } from './coordinator.js';
import { lockDataDir } from './data-dir-lock.js';
import { Ingest } from './ingest.js';
import { decodeHere, IngestThreads, type ResultsDecoder } from './ingest-threads.js';
import { type ActiveDuties, forwardedToLeader, forwardToLeader, Leadership } from './leadership.js';
import { OrphanSweeper } from './recovery.js';
import { buildRoutes, CreateRunBody, launchRun, type RouteDeps } from './routes.js';
import { ScheduleDriver } from './schedules.js';
import { environmentSecret, loadMasterSecret } from './shadow-secret.js';
import { WeightProbes } from './weight-probes.js';

export interface ControlConfig {
  host: string;
  port: number;
  /** embedded state (PGlite, chdb) lives here */
  dataDir: string;
  databaseUrl?: string;
  clickhouseUrl?: string;
  /** CLICKHOUSE_CLUSTER: the store's cluster mode (needs clickhouseUrl) */
  clickhouseCluster?: string;
  redisUrl: string;
  /** PEM of the authority behind Redis's TLS certificate (rediss://), when not a system one */
  redisCa?: string;
  /** Sentinels or a Cluster (REDIS_SENTINELS, REDIS_CLUSTER_NODES); none: redisUrl's server */
  redisTopology?: RedisTopology;
  /** results streams agents push to and ingest reads, one reader each (LOADLINE_RESULT_STREAMS) */
  resultStreams: number;
  /** threads that decode results batches (LOADLINE_INGEST_THREADS); 0: the main thread */
  ingestThreads?: number;
  namespace: string;
  claimTimeoutMs: number;
  startDelayMs: number;
  /** master secret for shadow tags; generated into dataDir when unset */
  shadowSecret?: string;
  /** serve HTTPS with this certificate and key (PEM files) */
  tls?: { certFile: string; keyFile: string };
  /** host names the API answers to besides loopback and its listening address */
  publicHosts: string[];
  /** where other controls reach this one's API (default: see advertisedUrl) */
  advertiseUrl?: string;
  /** proxies whose X-Forwarded-For the audit log believes */
  trustedProxies: string[];
  /** the first admin's password (else generated and handed back once, as firstAdmin) */
  adminPassword?: string;
  /** when an agent counts as a saturated generator (its run ends invalid) */
  saturation: SaturationLimits;
  /**
   * results waiting in Redis (not stored yet) past which active runs are stopped: storage is
   * too far behind, and the stream's cap (MAX_STREAM_LENGTH) must never be reached
   */
  resultsBacklogLimit: number;
  /** the result store as control uses it: fault tests wrap it to fail its inserts */
  wrapStore?: (store: ResultStore) => ResultStore;
  /** how often control looks for runs whose control went away (lease expired) */
  orphanSweepMs: number;
  /**
   * how long agents go on while control is away (LOADLINE_CONTROL_GRACE); an environment's
   * controlGraceS may only shorten it
   */
  controlGraceMs: number;
  /** how long a launch in a protected environment waits for approval */
  approvalTtlMs: number;
  /** a console session nobody used for this long ends */
  sessionIdleMs: number;
  /** single sign-on over OpenID Connect */
  oidc?: OidcConfig;
  log: (line: string) => void;
}

/** A cluster is a mode of a ClickHouse server: CLICKHOUSE_CLUSTER alone is a mistake. */
function clickhouseCluster(
  cluster: string | undefined,
  url: string | undefined,
): { clickhouseCluster?: string } {
  if (cluster === undefined) return {};
  if (url === undefined) {
    throw new EnvError([
      {
        variable: 'CLICKHOUSE_CLUSTER',
        message: 'needs CLICKHOUSE_URL (a node of that cluster); embedded chdb has no cluster',
      },
    ]);
  }
  return { clickhouseCluster: cluster };
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
  // ControlEnv has refused a bad setting already: this is never its problem text.
  const saturation = saturationSetting(parsed.LOADLINE_SATURATION);
  const topology = redisTopology(parsed);
  return {
    host: api.hostname,
    port: api.port ? Number(api.port) : DEFAULT_API_PORT,
    dataDir: parsed.LOADLINE_DATA_DIR ?? join(process.cwd(), DEFAULT_DATA_DIR),
    ...(parsed.DATABASE_URL ? { databaseUrl: parsed.DATABASE_URL } : {}),
    ...(parsed.CLICKHOUSE_URL ? { clickhouseUrl: parsed.CLICKHOUSE_URL } : {}),
    ...clickhouseCluster(parsed.CLICKHOUSE_CLUSTER, parsed.CLICKHOUSE_URL),
    ...(parsed.LOADLINE_SHADOW_SECRET ? { shadowSecret: parsed.LOADLINE_SHADOW_SECRET } : {}),
    redisUrl: parsed.REDIS_URL ?? DEFAULT_REDIS_URL,
    ...(topology ? { redisTopology: topology } : {}),
    resultStreams: Number(parsed.LOADLINE_RESULT_STREAMS),
    ingestThreads: Number(parsed.LOADLINE_INGEST_THREADS),
    ...(parsed.LOADLINE_REDIS_CA
      ? { redisCa: readFileSync(parsed.LOADLINE_REDIS_CA, 'utf8') }
      : {}),
    namespace: parsed.LOADLINE_NAMESPACE,
    claimTimeoutMs: 30_000,
    startDelayMs: 1000,
    publicHosts: listItems(parsed.LOADLINE_PUBLIC_HOSTS),
    ...(parsed.LOADLINE_ADVERTISE_URL ? { advertiseUrl: parsed.LOADLINE_ADVERTISE_URL } : {}),
    trustedProxies: parsed.LOADLINE_TRUSTED_PROXIES
      ? listItems(parsed.LOADLINE_TRUSTED_PROXIES)
      : [...LOOPBACK_HOSTS],
    ...(parsed.LOADLINE_ADMIN_PASSWORD ? { adminPassword: parsed.LOADLINE_ADMIN_PASSWORD } : {}),
    saturation: saturationLimits(typeof saturation === 'string' ? {} : saturation),
    orphanSweepMs: 5000,
    controlGraceMs: controlGraceMs(parsed.LOADLINE_CONTROL_GRACE) as number,
    resultsBacklogLimit: Number(parsed.LOADLINE_RESULTS_BACKLOG),
    approvalTtlMs: 3_600_000,
    sessionIdleMs: 8 * 3_600_000,
    ...oidcFromEnv(parsed),
    log: () => {},
    ...overrides,
  };
}

/** The control process: API, coordinator and ingest over one metadata DB, store and Redis. */
export class Control {
  readonly url: string;
  /** the admin this start created, with its password: shown once, never stored in clear */
  readonly firstAdmin: FirstAdmin | undefined;
  readonly #server: http.Server;
  readonly #metadata: MetadataStore;
  readonly #store: ResultStore;
  readonly #redis: Redis;
  readonly #readerConnections: Redis[];
  readonly #decoder: ResultsDecoder;
  readonly #queue: ShardQueue;
  readonly #schedules: ScheduleDriver;
  readonly #leadership: Leadership;
  readonly #masterSecret: string;
  readonly #unlock: () => void;
  readonly #timers: NodeJS.Timeout[];

  private constructor(parts: {
    url: string;
    firstAdmin: FirstAdmin | undefined;
    timers: NodeJS.Timeout[];
    unlock: () => void;
    masterSecret: string;
    server: http.Server;
    metadata: MetadataStore;
    store: ResultStore;
    redis: Redis;
    readerConnections: Redis[];
    decoder: ResultsDecoder;
    queue: ShardQueue;
    schedules: ScheduleDriver;
    leadership: Leadership;
  }) {
    this.url = parts.url;
    this.#leadership = parts.leadership;
    this.firstAdmin = parts.firstAdmin;
    this.#timers = parts.timers;
    this.#server = parts.server;
    this.#metadata = parts.metadata;
    this.#store = parts.store;
    this.#redis = parts.redis;
    this.#readerConnections = parts.readerConnections;
    this.#decoder = parts.decoder;
    this.#queue = parts.queue;
    this.#schedules = parts.schedules;
    this.#masterSecret = parts.masterSecret;
    this.#unlock = parts.unlock;
  }

  /** The key services of environment `name` verify this control's shadow tags with. */
  shadowSecretFor(name: string): string {
    return environmentSecret(this.#masterSecret, name);
  }

  /**
   * A new admin API token for this machine's CLI (`loadline up` writes it into the
   * credentials file); earlier tokens of the same name are revoked.
   */
  issueMachineToken(name: string): Promise<string> {
    return issueMachineToken(this.#metadata, name);
  }

  /** An agent enrollment token for the agents this process starts (`loadline up`). */
  issueAgentToken(name: string): Promise<string> {
    return issueMachineToken(this.#metadata, name, 'agent');
  }

  static async start(config: ControlConfig): Promise<Control> {
    // What control writes (PGlite's files and WAL, chdb's parts, the shadow secret) is for
    // its own user only, before any store opens: the WAL holds secrets in the clear.
    process.umask(0o077);
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
    const keys: ControlKeys = {
      master: masterSecret,
      secrets: deriveKey(masterSecret, 'environment-secrets'),
      jobs: deriveKey(masterSecret, 'agent-jobs'),
      signing: controlSigningKeys(masterSecret),
    };
    const metadata = await MetadataStore.open(
      config.databaseUrl ? { url: config.databaseUrl } : { dataDir: join(config.dataDir, 'pg') },
    );
    await metadata.migrate();
    const firstAdmin = await ensureFirstAdmin(metadata, config.adminPassword);
    // The built-in environment for one machine: loopback only.
    await metadata.upsertEnvironment({
      name: 'local',
      baseUrls: {},
      allowedHosts: [...LOOPBACK_HOSTS],
      requiresShadow: false,
    });
    const opened = await ResultStore.open(
      config.clickhouseUrl
        ? {
            mode: 'server',
            url: config.clickhouseUrl,
            ...(config.clickhouseCluster ? { cluster: { cluster: config.clickhouseCluster } } : {}),
          }
        : { mode: 'embedded', path: join(config.dataDir, 'clickhouse') },
    );
    await opened.migrate();
    const store = config.wrapStore ? config.wrapStore(opened) : opened;
    const redisOptions = {
      ...(config.redisCa === undefined ? {} : { tlsCa: config.redisCa }),
      topology: config.redisTopology,
    };
    const redis = connectRedis(config.redisUrl, redisOptions);
    redis.on('error', (error: Error) => config.log(`redis: ${error.message}`));
    const names = new RedisNames(config.namespace, {
      cluster: config.redisTopology?.kind === 'cluster',
      resultStreams: config.resultStreams,
    });
    const signer = { sign: (text: string) => signText(keys.signing.privateKey, text) };
    const keyring = new AgentKeyring(metadata.access, masterSecret);
    const queue = new ShardQueue(redis, names, config.log, signer);
    const consumer = `control@${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const coordinator = new RunCoordinator(metadata, redis, names, queue, {
      claimTimeoutMs: config.claimTimeoutMs,
      startDelayMs: config.startDelayMs,
      coordinatorId: consumer,
      log: config.log,
      storeTargetMetrics: (rows) => store.insertTargetMetrics(rows),
      signer,
      agents: keyring,
      saturation: config.saturation,
      storedRows: (runId) => store.intervalRows(runId),
    });
    // Each stream's reader blocks on a connection of its own: a blocking read on the shared
    // one would hold up every other command behind it (in a Cluster, all of that node's).
    const readerConnections = names.resultStreamNames.map(() => {
      const connection = duplicateRedis(redis);
      connection.on('error', (error: Error) => config.log(`redis (results): ${error.message}`));
      return connection;
    });
    const readers = names.resultStreamNames.map(
      (stream, i) =>
        new ResultsReader(readerConnections[i] as Redis, names, consumer, keyring, stream),
    );
    const decoder = config.ingestThreads
      ? new IngestThreads(config.ingestThreads, config.log)
      : decodeHere;
    const ingest = new Ingest(
      readers,
      store,
      {
        onRows: (prepared) => coordinator.onRows(prepared),
        onMessage: (message) => coordinator.onMessage(message),
        log: config.log,
      },
      decoder,
    );
    const scheme = config.tls ? 'https' : 'http';
    // Which control is active: known once this one listens (below).
    let leadership: Leadership | undefined;
    const deps: RouteDeps = {
      agents: keyring,
      metadata,
      store,
      redis,
      names,
      coordinator,
      schedules: undefined as never,
      probes: new WeightProbes(metadata, { log: config.log }),
      shadowSecretFor: (name) => environmentSecret(masterSecret, name),
      keys,
      controlGraceMs: config.controlGraceMs,
      leadership: () => ({
        active: leadership?.active ?? false,
        leaderUrl: leadership?.leaderUrl,
      }),
      signIns: new SignInLimiter(),
      secureCookies: config.tls !== undefined,
      approvalTtlMs: config.approvalTtlMs,
      ...(config.oidc ? { oidc: oidcLogin(config.oidc, metadata) } : {}),
      // Control's own URL joins once it listens (its port may be chosen then).
      infrastructure: [
        config.redisUrl,
        // Sentinels and Cluster nodes are Loadline's own servers too: no run may load them.
        ...[
          ...(config.redisTopology?.kind === 'sentinel' ? config.redisTopology.sentinels : []),
          ...(config.redisTopology?.kind === 'cluster' ? config.redisTopology.nodes : []),
        ].map(({ host, port }) => `redis://${host.includes(':') ? `[${host}]` : host}:${port}`),
        ...(config.databaseUrl ? [config.databaseUrl] : []),
        ...(config.clickhouseUrl ? [config.clickhouseUrl] : []),
      ],
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
        await launchRun(deps, input, {
          schedule: { id: schedule.id, name: schedule.name },
          actor: { actor: `schedule:${schedule.name}`, actorKind: 'system' },
        });
      },
      config.log,
    );
    deps.schedules = schedules;
    // Runs whose control went away are taken over when this one becomes active, and again
    // every few seconds: a control that died holds its runs' leases 10 s more.
    const orphans = new OrphanSweeper(metadata, store, config.log, {
      coordinatorId: consumer,
      active: () => coordinator.activeRuns,
      adopt: (run) => (run.status === 'queued' ? relaunch(deps, run) : coordinator.adopt(run)),
      abandon: (run) => coordinator.abandon(run.id, run.agentsRequested, 'its control went away'),
    });
    await schedules.sync();
    let backlogWatch: NodeJS.Timeout | undefined;
    let clockWatch: NodeJS.Timeout | undefined;
    let probeSweep: NodeJS.Timeout | undefined;
    // Weights a probe left shifted (its control died, or a restore gave up) go back as this
    // control becomes active, and at every sweep after.
    const recoverProbes = () =>
      deps.probes.recover().catch((error: Error) => config.log(`probes: ${error.message}`));
    const duties: ActiveDuties = {
      start: async () => {
        // Runs start at this control's instants: agents need its clock before any start.
        clockWatch = await watchClock(redis, names, consumer, config.log);
        await orphans.sweep();
        orphans.start(config.orphanSweepMs);
        await recoverProbes();
        probeSweep = setInterval(recoverProbes, Math.max(1000, config.orphanSweepMs));
        await ingest.start();
        schedules.startFiring();
        backlogWatch = watchBacklog(ingest, coordinator, config);
      },
      stop: async () => {
        clearInterval(backlogWatch);
        clearInterval(clockWatch);
        clearInterval(probeSweep);
        await deps.probes.close();
        await orphans.close();
        await coordinator.close();
        await schedules.stopFiring();
        await ingest.stop();
      },
    };
    const gate = new AccessGate(metadata.access, {
      hostNames: hostNamesOf(config),
      trustedProxies: config.trustedProxies,
      sessionIdleMs: config.sessionIdleMs,
      log: config.log,
    });
    const routes = buildRoutes(deps, gate).listener();
    // A standby answers reads itself and hands writes and live views to the active control;
    // so does a control that does not know yet which it is (the moment after it listens).
    const listener: http.RequestListener = (req, res) => {
      if (leadership?.active || !forwardedToLeader(req)) return routes(req, res);
      forwardToLeader(req, res, leadership?.leaderUrl);
    };
    const server = config.tls
      ? https.createServer(
          { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) },
          listener,
        )
      : http.createServer(listener);
    // Bounded: a client that trickles its headers or body cannot hold a socket for long.
    server.headersTimeout = 20_000;
    server.requestTimeout = 120_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, resolve);
    });
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `${scheme}://${host}:${address.port}`;
    (deps.infrastructure as string[]).push(url);
    config.log(`control API on ${url}`);
    const sweep = () =>
      expireApprovals(metadata, (event) =>
        gate.audit({ ...event, actor: SYSTEM, source: 'control', outcome: 'ok' }),
      )
        .then(() => metadata.access.pruneSessions())
        .catch((error: Error) => config.log(`approvals: ${error.message}`));
    await sweep();
    // Expiries are noticed within a quarter of the approval window (at most 15 s late).
    const timers = [setInterval(sweep, Math.min(15_000, Math.max(250, config.approvalTtlMs / 4)))];
    // Runs a previous control left active are taken over as this one becomes active (before
    // ingest starts, so every result still waiting in Redis reaches the run it belongs to);
    // embedded mode holds the data directory's lock, so the previous one is gone for sure.
    leadership = new Leadership(
      metadata,
      {
        holder: consumer,
        url: config.advertiseUrl ?? advertisedUrl(scheme, address),
        force: !config.databaseUrl || !config.clickhouseUrl,
        log: config.log,
      },
      duties,
    );
    await leadership.start();
    return new Control({
      leadership,
      url,
      firstAdmin,
      timers,
      unlock,
      masterSecret,
      server,
      metadata,
      store,
      redis,
      readerConnections,
      decoder,
      queue,
      schedules,
    });
  }

  /** Whether this control is the active one (coordinates runs) or a standby. */
  get active(): boolean {
    return this.#leadership.active;
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    await this.#leadership.close();
    await new Promise<void>((resolve) => {
      this.#server.closeAllConnections();
      this.#server.close(() => resolve());
    });
    await this.#schedules.close();
    await this.#queue.close();
    for (const connection of this.#readerConnections) connection.disconnect();
    await this.#decoder.close();
    this.#redis.disconnect();
    await this.#store.close();
    await this.#metadata.close();
    this.#unlock();
  }
}

/** Single sign-on from LOADLINE_OIDC_*: all of issuer, client, secret, redirect and roles, or none. */
function oidcFromEnv(env: ControlEnv): { oidc?: OidcConfig } {
  const wanted = {
    LOADLINE_OIDC_ISSUER: env.LOADLINE_OIDC_ISSUER,
    LOADLINE_OIDC_CLIENT_ID: env.LOADLINE_OIDC_CLIENT_ID,
    LOADLINE_OIDC_CLIENT_SECRET: env.LOADLINE_OIDC_CLIENT_SECRET,
    LOADLINE_OIDC_REDIRECT_URL: env.LOADLINE_OIDC_REDIRECT_URL,
    LOADLINE_OIDC_ROLES: env.LOADLINE_OIDC_ROLES,
  };
  const missing = Object.entries(wanted).filter(([, v]) => v === undefined);
  if (missing.length === 5) return {};
  if (missing.length > 0) {
    throw new EnvError([
      {
        variable: missing[0]![0],
        message: `single sign-on needs ${missing.map(([k]) => k).join(', ')} as well`,
      },
    ]);
  }
  parseRoleRules(env.LOADLINE_OIDC_ROLES as string);
  return {
    oidc: {
      issuer: env.LOADLINE_OIDC_ISSUER as string,
      clientId: env.LOADLINE_OIDC_CLIENT_ID as string,
      clientSecret: env.LOADLINE_OIDC_CLIENT_SECRET as string,
      redirectUrl: env.LOADLINE_OIDC_REDIRECT_URL as string,
      roles: env.LOADLINE_OIDC_ROLES as string,
      groupsClaim: env.LOADLINE_OIDC_GROUPS_CLAIM,
    },
  };
}

/**
 * Where other controls reach this one when nothing says (LOADLINE_ADVERTISE_URL): the
 * listening address, or for a wildcard listener this machine's first non-loopback address
 * (a pod's IP), never the wildcard itself, which would lead a standby back to itself.
 */
function advertisedUrl(scheme: string, address: AddressInfo): string {
  let host = address.address;
  if (host === '0.0.0.0' || host === '::') {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i !== undefined && !i.internal && (i.family === 'IPv4' || host === '::'));
    host = external?.address ?? (host === '::' ? '::1' : '127.0.0.1');
  }
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

/**
 * The names a request's Host may carry: loopback, the listening address and the public
 * hosts; none (any Host) for a wildcard listener without public hosts, which serves
 * whatever names point at it.
 */
function hostNamesOf(config: ControlConfig): string[] {
  const wildcard = config.host === '0.0.0.0' || config.host === '::' || config.host === '';
  if (wildcard && config.publicHosts.length === 0) return [];
  return [...(wildcard ? [] : [config.host]), ...config.publicHosts, 'localhost'];
}

/**
 * Publishes this control's clock (against Redis's) now and every few seconds, for agents
 * to start on and stamp with (they cannot reach control, only Redis).
 */
async function watchClock(
  redis: Redis,
  names: RedisNames,
  controlId: string,
  log: (line: string) => void,
): Promise<NodeJS.Timeout> {
  const filter = new ClockFilter();
  const publish = () =>
    publishControlClock(redis, names, controlId, filter).catch((error: Error) =>
      log(`clock: ${error.message}`),
    );
  await publish();
  return setInterval(publish, CONTROL_CLOCK_EVERY_MS);
}

/**
 * Every second: how far storing results is behind, for the live views; past the limit,
 * every active run stops, saying why, long before Redis would trim results nobody stored.
 */
function watchBacklog(
  ingest: Ingest,
  coordinator: RunCoordinator,
  config: Pick<ControlConfig, 'resultsBacklogLimit' | 'log'>,
): NodeJS.Timeout {
  let busy = false;
  return setInterval(() => {
    if (busy) return;
    busy = true;
    ingest
      .backlog()
      .then(async (backlog) => {
        coordinator.noteStorage(backlog);
        if (backlog.messages <= config.resultsBacklogLimit) return;
        const behindS = backlog.oldestAt ? Math.round((Date.now() - backlog.oldestAt) / 1000) : 0;
        for (const runId of coordinator.activeRuns) {
          await coordinator.stop(
            runId,
            `storage is behind: ${backlog.messages} results wait in Redis (limit ${config.resultsBacklogLimit}), the oldest ${behindS} s; stopped before any could be lost`,
          );
        }
      })
      .catch((error: Error) => config.log(`results backlog: ${error.message}`))
      .finally(() => {
        busy = false;
      });
  }, 1000);
}
