import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOOPBACK_HOSTS } from '@loadline/api';
import {
  type CliEnv,
  DEFAULT_API_PORT,
  DEFAULT_NAMESPACE,
  DEFAULT_REDIS_URL,
  type RawEnv,
  type RedisTopology,
  redactUrl,
  redisTopology,
} from '@loadline/config';
import { Control, configFromEnv } from '@loadline/control';
import { startDemoMall } from '@loadline/demo-mall';
import { redisAnswers } from '@loadline/queue';
import { ControlClient, controlApi } from '../control-client.js';
import { credentialsPath, loadCredential, saveCredential } from '../credentials.js';
import { dataDirInUse } from '../data-dir.js';
import { UsageError } from '../exit-codes.js';
import { parsePort } from './control.js';

export interface UpOptions {
  agents?: string;
  port?: string;
  demoPort?: string;
  consolePort?: string;
  data?: string;
  namespace?: string;
}

const BIN = fileURLToPath(new URL('../../bin/loadline.js', import.meta.url));
const CONSOLE_DIR = fileURLToPath(new URL('../../../console/', import.meta.url));

/**
 * Starts the built console (Next.js) on 127.0.0.1:port, talking to `apiUrl`; undefined
 * when the console is not built (it is by `npm start`).
 */
function startConsole(
  port: number,
  apiUrl: string,
  inherited: RawEnv,
  children: ChildProcess[],
): string | undefined {
  if (!existsSync(join(CONSOLE_DIR, '.next', 'BUILD_ID'))) return undefined;
  const next = createRequire(join(CONSOLE_DIR, 'package.json')).resolve('next/dist/bin/next');
  children.push(
    spawn(process.execPath, [next, 'start', '-p', String(port), '-H', '127.0.0.1'], {
      cwd: CONSOLE_DIR,
      env: { ...inherited, LOADLINE_API: apiUrl, NEXT_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
  return `http://127.0.0.1:${port}`;
}

/**
 * Uses REDIS_URL (through its Sentinels or Cluster when set), or 127.0.0.1:6379, or starts
 * a redis-server child of ours.
 */
async function ensureRedis(
  configured: string | undefined,
  topology: RedisTopology | undefined,
  children: ChildProcess[],
  log: (line: string) => void,
): Promise<string> {
  const url = configured ?? DEFAULT_REDIS_URL;
  if (topology) {
    if (await redisAnswers(url, 2000, undefined, topology)) return url;
    const variable = topology.kind === 'cluster' ? 'REDIS_CLUSTER_NODES' : 'REDIS_SENTINELS';
    throw new UsageError(undefined, `no Redis answers through ${variable}`);
  }
  if (await redisAnswers(url, 1000)) return url;
  if (configured)
    throw new UsageError(undefined, `no Redis answers at REDIS_URL=${redactUrl(url)}`);
  if (spawnSync('sh', ['-c', 'command -v redis-server']).status !== 0) {
    throw new UsageError(
      undefined,
      'no Redis on 127.0.0.1:6379 and no redis-server to start (apt-get install redis-server, or set REDIS_URL)',
    );
  }
  log('starting redis-server on 127.0.0.1:6379');
  children.push(
    spawn(
      'redis-server',
      ['--port', '6379', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    ),
  );
  for (let i = 0; i < 50; i++) {
    if (await redisAnswers(url, 500)) return url;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new UsageError(undefined, 'redis-server did not start');
}

/**
 * Lists every demo-mall instance's /metrics under the `local` environment, so runs against
 * the mall are scraped each second and `loadline capacity fit --runs` has what it needs.
 * Each instance counts the CPU its own cost work used (the process's CPU is shared by the
 * instances that live in it).
 */
async function registerMallMetrics(
  client: ControlClient,
  services: Record<string, string[]>,
  log: (line: string) => void,
): Promise<void> {
  const metricsTargets = Object.entries(services).flatMap(([service, urls]) =>
    urls.map((url) => ({
      service,
      url: `${url}/metrics`,
      cpuMetric: 'demo_cost_cpu_seconds_total',
    })),
  );
  await client
    .call(controlApi.putEnvironment, {
      params: { name: 'local' },
      body: {
        allowedHosts: [...LOOPBACK_HOSTS],
        requiresShadow: false,
        metricsTargets,
      },
    })
    .catch((error: unknown) =>
      log(`could not list the mall's metrics under local: ${(error as Error).message}`),
    );
}

/**
 * A client of the stack's control for this machine's CLI: the admin token in the
 * credentials file when control still takes it, else a new one written there, so that
 * `loadline run` works at once.
 */
async function machineClient(control: Control, env: CliEnv): Promise<ControlClient> {
  const path = credentialsPath(env.XDG_CONFIG_HOME);
  const stored = loadCredential(path, control.url)?.token;
  if (stored) {
    const client = new ControlClient(control.url, stored);
    const me = await client.call(controlApi.whoami).catch(() => undefined);
    if (me?.role === 'admin') return client;
  }
  const token = await control.issueMachineToken(`loadline up on ${hostname()}`);
  saveCredential(path, control.url, {
    token,
    user: 'admin',
    role: 'admin',
    savedAt: new Date().toISOString(),
  });
  return new ControlClient(control.url, token);
}

/** How to sign in, for the banner: the first admin's password once, where the CLI's token is. */
function signInLines(control: Control, credentials: string): string[] {
  const admin = control.firstAdmin;
  return [
    admin
      ? `  sign in      user ${admin.username}, password ${admin.password}   (shown this once: keep it)`
      : '  sign in      as admin with the password printed when this data directory was new\n               (lost? `npx loadline user set admin --role admin --password-stdin` sets a new one)',
    `  CLI token    admin, saved in ${credentials}`,
  ];
}

/**
 * `loadline up`: the embedded stack in the foreground — control (PGlite + chdb under
 * .loadline/, or DATABASE_URL), N local agent processes, the demo mall (trusting shadow
 * tags signed with control's `local` key) — until Ctrl-C.
 */
export async function runUp(
  options: UpOptions,
  stdout: NodeJS.WriteStream,
  stderr: NodeJS.WriteStream,
  env: CliEnv,
  /** the whole environment, handed on to the console */
  inherited: RawEnv,
): Promise<number> {
  const agents = Number(options.agents ?? '2');
  if (!Number.isInteger(agents) || agents < 0 || agents > 64) {
    throw new UsageError(
      '--agents',
      `expected a whole number from 0 to 64, got "${options.agents}"`,
    );
  }
  const port = parsePort('--port', options.port, DEFAULT_API_PORT);
  const demoPort = parsePort('--demo-port', options.demoPort, 8080);
  const consolePort = parsePort('--console-port', options.consolePort, 3000);
  const log = (line: string) => stderr.write(`${new Date().toISOString()} ${line}\n`);
  const children: ChildProcess[] = [];
  const cleanup = () => {
    for (const child of children) child.kill('SIGTERM');
  };
  try {
    const topology = redisTopology(env);
    const redisUrl = await ensureRedis(env.REDIS_URL, topology, children, log);
    const config = configFromEnv(env, {
      port,
      redisUrl,
      ...(options.data === undefined ? {} : { dataDir: options.data }),
      ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
      log,
    });
    let control: Control;
    try {
      control = await Control.start(config);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new UsageError(
          '--port',
          `port ${port} is in use; is another \`loadline up\` running?`,
        );
      }
      if (dataDirInUse(error)) {
        throw new UsageError(
          '--data',
          `${config.dataDir} is in use by another \`loadline up\` or \`loadline control\` (embedded PGlite and ClickHouse serve one process); stop the other one, or give this one its own --data`,
        );
      }
      throw error;
    }
    let mall: Awaited<ReturnType<typeof startDemoMall>>;
    try {
      // The mall's carts and order queue use the same Redis as the fleet, under its own
      // prefix; its orders the same Postgres as control when DATABASE_URL is set. It trusts
      // shadow tags of the `local` environment and reports leaks to this control.
      mall = await startDemoMall({
        port: demoPort,
        // The mall speaks to one Redis server only: behind Sentinels or a Cluster its carts
        // and orders stay in its memory.
        redisUrl: topology ? null : redisUrl,
        // Under a namespace of its own, the mall's keys and queue are the namespace's too.
        ...(config.namespace === DEFAULT_NAMESPACE
          ? {}
          : { redisPrefix: `${config.namespace}:demo:` }),
        ...(config.databaseUrl
          ? { databaseUrl: config.databaseUrl }
          : options.data === undefined
            ? {}
            : { dataDir: `${options.data}/demo-mall` }),
        shadow: { secret: control.shadowSecretFor('local'), controlUrl: control.url },
        log,
      });
    } catch (error) {
      await control.close();
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new UsageError(
          '--demo-port',
          `port ${demoPort} is in use; pick another with --demo-port`,
        );
      }
      throw error;
    }
    const client = await machineClient(control, env);
    await registerMallMetrics(client, mall.services, log);
    const consoleUrl = startConsole(consolePort, control.url, inherited, children);
    const agentToken =
      agents > 0 ? await control.issueAgentToken(`loadline up agents on ${hostname()}`) : '';
    for (let i = 0; i < agents; i++) {
      children.push(
        spawn(
          process.execPath,
          [BIN, 'agent', '--namespace', config.namespace, '--id', `local-${i + 1}`],
          {
            // Credentials go by environment, never argv: `ps` shows argv to every user.
            env: {
              ...inherited,
              REDIS_URL: redisUrl,
              LOADLINE_API: control.url,
              LOADLINE_AGENT_TOKEN: agentToken,
            },
            stdio: ['ignore', 'inherit', 'inherit'],
          },
        ),
      );
    }
    stdout.write(
      [
        'Loadline is up.',
        ...signInLines(control, credentialsPath(env.XDG_CONFIG_HOME)),
        consoleUrl
          ? `  console      ${consoleUrl}`
          : '  console      (not built: run `npm run build`)',
        `  control API  ${control.url}   (OpenAPI at ${control.url}/openapi.json)`,
        `  agents       ${agents} local process(es)`,
        `  demo mall    ${mall.url}   (products, cart, orders: see apps/demo-mall/README.md)`,
        `               trusts shadow tags of environment "local", reports leaks to control`,
        `  state        ${config.databaseUrl ?? config.dataDir}`,
        '',
        'Try:',
        `  npx loadline run scenarios/demo-browse-buy.yaml --wait          # on the agents, through control`,
        `  npx loadline run scenarios/demo-browse-buy.yaml --local          # in one process`,
        `  npx loadline run scenarios/demo-shadow-buy.yaml --wait --json    # shadow traffic`,
        `  npx loadline run scenarios/demo-k6-mall.js -e MALL=${mall.url} --wait   # a k6 script`,
        `  npx loadline verify RUN --stores scenarios/demo-shadow-stores.yaml   # isolation check`,
        `  npx loadline bench --url ${mall.url}/api/products/42 --rate 1000 --duration 10s`,
        '',
        'Ctrl-C stops everything.',
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    cleanup();
    // The mall first: its last leak reports still reach control.
    await mall.close();
    await control.close();
    return 0;
  } catch (error) {
    cleanup();
    throw error;
  }
}
