/**
 * Test support: a real PgBouncer (Debian's `pgbouncer`) in transaction pooling mode in front
 * of the test Postgres server, started by the test with its own config in a temp directory,
 * on a free loopback port, and stopped by it. `default_pool_size` is small on purpose: the
 * metadata store's pool (10 clients) then shares 2 server connections, so any session state
 * the code relied on (SET, session advisory locks, named prepared statements, LISTEN, temp
 * tables) would be seen by other clients or lost between transactions.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PgBouncer {
  /** `postgres://user@127.0.0.1:PORT`: append `/database` */
  url: string;
  /** `pgbouncer --version`'s first line, e.g. "PgBouncer 1.18.0" */
  version: string;
  stop(): Promise<void>;
}

/** Where Debian installs it (/usr/sbin is not on every user's PATH). */
const CANDIDATES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'];

/** The pgbouncer binary, or undefined when it is not installed. */
export function pgbouncerBinary(): string | undefined {
  const found = CANDIDATES.find((path) => existsSync(path));
  if (found) return found;
  const which = spawnSync('which', ['pgbouncer'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

/**
 * PgBouncer refuses to run as root ("PgBouncer should not run as root"): as root, run it
 * as `nobody` (its directory handed over); otherwise as ourselves.
 */
function unprivileged(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) =>
    Number(spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' }).stdout);
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid <= 0 || !Number.isInteger(gid)) {
    throw new Error('running as root and no `nobody` user to run pgbouncer as');
  }
  return { uid, gid };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}

/**
 * Starts PgBouncer in transaction mode in front of `upstream` (a Postgres URL; its host,
 * port and user are used, any database name passes through). Trust authentication, as the
 * test server has.
 */
export async function startPgBouncer(upstream: string, poolSize = 2): Promise<PgBouncer> {
  const binary = pgbouncerBinary();
  if (!binary) throw new Error('pgbouncer is not installed (apt-get install pgbouncer)');
  const target = new URL(upstream);
  const user = decodeURIComponent(target.username || 'postgres');
  const dir = await mkdtemp(join(tmpdir(), 'loadline-pgbouncer-'));
  const port = await freePort();
  const log = join(dir, 'pgbouncer.log');
  await writeFile(join(dir, 'users.txt'), `"${user}" ""\n`);
  await writeFile(
    join(dir, 'pgbouncer.ini'),
    `[databases]
* = host=${target.hostname} port=${target.port || 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = trust
auth_file = ${join(dir, 'users.txt')}
admin_users = ${user}
pool_mode = transaction
default_pool_size = ${poolSize}
max_client_conn = 200
logfile = ${log}
`,
  );
  const runAs = unprivileged();
  if (runAs) {
    for (const file of ['', 'users.txt', 'pgbouncer.ini']) {
      await chown(join(dir, file), runAs.uid, runAs.gid);
    }
  }
  const version = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  const child: ChildProcess = spawn(binary, [join(dir, 'pgbouncer.ini')], {
    stdio: 'ignore',
    ...(runAs ?? {}),
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT'); // pgbouncer: SIGINT = safe shutdown, SIGTERM = immediate
      const killed = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killed);
    }
    await rm(dir, { recursive: true, force: true });
  };
  for (let waited = 0; !(await answers(port)); waited += 50) {
    if (child.exitCode !== null || waited > 5000) {
      const text = await readFile(log, 'utf8').catch(() => '(no log)');
      await stop();
      throw new Error(`pgbouncer did not start on 127.0.0.1:${port}:\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}`,
    version: version ?? '',
    stop,
  };
}
