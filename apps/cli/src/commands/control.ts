import { join } from 'node:path';
import { type CliEnv, DEFAULT_API_PORT } from '@loadline/config';
import { Control, configFromEnv } from '@loadline/control';
import { redisAnswers } from '@loadline/queue';
import { dataDirInUse } from '../data-dir.js';
import { UsageError } from '../exit-codes.js';

export interface ControlCommandOptions {
  port?: string;
  data?: string;
  namespace?: string;
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
  const config = configFromEnv(env, {
    ...(options.port === undefined
      ? {}
      : { port: parsePort('--port', options.port, DEFAULT_API_PORT) }),
    ...(options.data === undefined ? {} : { dataDir: options.data }),
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    log: (line) => stderr.write(`${new Date().toISOString()} ${line}\n`),
  });
  if (!(await redisAnswers(config.redisUrl, 2000))) {
    throw new UsageError(undefined, `no Redis answers at ${config.redisUrl} (set REDIS_URL)`);
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
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await control.close();
  return 0;
}
