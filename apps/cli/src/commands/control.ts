import { join } from 'node:path';
import { type CliEnv, DEFAULT_API_PORT, type RedisTopology, redactUrl } from '@loadline/config';
import { Control, configFromEnv } from '@loadline/control';
import { redisAnswers } from '@loadline/queue';
import { dataDirInUse } from '../data-dir.js';
import { UsageError } from '../exit-codes.js';

export interface ControlCommandOptions {
  port?: string;
  data?: string;
  namespace?: string;
  tlsCert?: string;
  tlsKey?: string;
  insecureHttp?: boolean;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

/**
 * TLS from the flags; a listener beyond loopback without TLS only with --insecure-http
 * (tokens and session cookies would cross the network in clear).
 */
export function tlsOption(
  host: string,
  options: Pick<ControlCommandOptions, 'tlsCert' | 'tlsKey' | 'insecureHttp'>,
): { tls?: { certFile: string; keyFile: string } } {
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    throw new UsageError(
      options.tlsCert === undefined ? '--tls-cert' : '--tls-key',
      'give --tls-cert and --tls-key together',
    );
  }
  if (options.tlsCert !== undefined && options.tlsKey !== undefined) {
    return { tls: { certFile: options.tlsCert, keyFile: options.tlsKey } };
  }
  if (!LOOPBACK.test(host.replace(/^\[(.*)\]$/, '$1')) && !options.insecureHttp) {
    throw new UsageError(
      undefined,
      `control would listen on ${host} without TLS: API tokens and sessions would cross the network in clear. Give --tls-cert FILE --tls-key FILE, or --insecure-http behind a TLS-terminating proxy you trust`,
    );
  }
  return {};
}

export function parsePort(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new UsageError(flag, `expected a TCP port (0–65535), got "${text}"`);
  }
  return port;
}

/** `loadline control`: the control plane alone (distributed mode). */
export async function runControl(
  options: ControlCommandOptions,
  stderr: NodeJS.WritableStream,
  env: CliEnv,
): Promise<number> {
  const base = configFromEnv(env, {
    ...(options.port === undefined
      ? {}
      : { port: parsePort('--port', options.port, DEFAULT_API_PORT) }),
    ...(options.data === undefined ? {} : { dataDir: options.data }),
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    log: (line) => stderr.write(`${new Date().toISOString()} ${line}\n`),
  });
  const config = { ...base, ...tlsOption(base.host, options) };
  if (!(await redisAnswers(config.redisUrl, 2000, config.redisCa, config.redisTopology))) {
    throw new UsageError(undefined, `no Redis answers ${redisWhere(config)}`);
  }
  const control = await Control.start(config).catch((error: unknown) => {
    if (dataDirInUse(error)) {
      throw new UsageError(
        undefined,
        `${config.dataDir} is in use by another \`loadline up\` or \`loadline control\` (embedded PGlite and ClickHouse serve one process); stop the other one, or set LOADLINE_DATA_DIR`,
      );
    }
    throw error;
  });
  stderr.write(
    `control on ${control.url} (state in ${config.databaseUrl ?? join(config.dataDir, 'pg')}); Ctrl-C stops\n`,
  );
  if (control.firstAdmin) {
    stderr.write(
      `first admin: user ${control.firstAdmin.username}, password ${control.firstAdmin.password} (shown this once); \`loadline login --api URL\` (this control's address as clients reach it) signs the CLI in\n`,
    );
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await control.close();
  return 0;
}

/** Where a Redis was looked for, for a message: the setting to check. */
export function redisWhere(config: {
  redisUrl: string;
  redisTopology?: RedisTopology | undefined;
}): string {
  if (config.redisTopology?.kind === 'cluster') return 'at the nodes of REDIS_CLUSTER_NODES';
  if (config.redisTopology?.kind === 'sentinel') {
    return `through REDIS_SENTINELS (master ${config.redisTopology.master})`;
  }
  return `at ${redactUrl(config.redisUrl)} (set REDIS_URL)`;
}
