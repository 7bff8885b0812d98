// Redis topologies for integration tests, from Debian's redis-server started here: a master
// with a replica watched by a Sentinel, or a three-node Cluster. Each on free ports, files in
// a temporary directory, every process killed by `stop`. Not exported from the package index.
import { type ChildProcess, execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RedisNode } from '@loadline/config';

const run = promisify(execFile);

/** A test certificate authority and a server certificate for 127.0.0.1 it signed. */
export interface TestTls {
  /** the authority's certificate (PEM): what clients trust */
  ca: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** Makes a CA and a certificate for 127.0.0.1 in `dir` with openssl (valid for a day). */
export function makeTestTls(dir: string): TestTls {
  const openssl = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const subject = (cn: string) => ['-days', '1', '-subj', `/CN=${cn}`];
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    ...subject('loadline test CA'),
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'redis.key',
    '-out',
    'redis.csr',
    '-subj',
    '/CN=127.0.0.1',
  );
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'redis.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'redis.pem',
    '-days',
    '1',
    '-extfile',
    'san.ext',
  );
  return {
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    caFile: join(dir, 'ca.pem'),
    certFile: join(dir, 'redis.pem'),
    keyFile: join(dir, 'redis.key'),
  };
}

/** Why a topology test cannot run here, or false. */
export const redisServerMissing = (): string | false =>
  spawnSync('sh', ['-c', 'command -v redis-server && command -v redis-cli']).status === 0
    ? false
    : 'needs redis-server and redis-cli (apt-get install redis-server)';

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** redis-cli against 127.0.0.1:`port`: its output, trimmed. */
export async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: 5000,
  });
  return stdout.trim();
}

/** Polls `check` every 100 ms until it holds, or fails saying `what` after `timeoutMs`. */
export async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Processes of one topology, by name, and how to end them all. */
export class RedisProcesses {
  readonly dir = mkdtempSync(join(tmpdir(), 'loadline-redis-topology-'));
  readonly #children = new Map<string, ChildProcess>();

  /** redis-server with `args` (a config file's path first, for a Sentinel). */
  start(name: string, args: string[]): ChildProcess {
    const child = spawn('redis-server', args, { stdio: 'ignore', cwd: this.dir });
    this.#children.set(name, child);
    return child;
  }

  /** SIGKILL, as a machine that dies: no shutdown, no last words to replicas. */
  async kill(name: string): Promise<void> {
    const child = this.#children.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#children.keys()].map((name) => this.kill(name)));
  }
}

const SERVER = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];

export interface SentinelSet {
  processes: RedisProcesses;
  master: number;
  replica: number;
  sentinels: RedisNode[];
  name: string;
}

export interface SentinelSecurity {
  /** the master's and replica's password (requirepass, and masterauth between them) */
  redis: string;
  /** the Sentinel's own (requirepass in its config) */
  sentinel: string;
  /** TLS only, between every process too (no plain port): as infra/k8s/redis.yaml runs it */
  tls?: TestTls;
}

/**
 * A master, one replica and one Sentinel (quorum 1) that calls the master down after 1 s
 * without an answer: the shortest failover a real installation could configure. With
 * `passwords`, every server asks for one, as a production installation does.
 */
export async function startSentinelSet(
  name = 'loadline',
  security?: SentinelSecurity,
): Promise<SentinelSet> {
  const processes = new RedisProcesses();
  const [master, replica, sentinel] = [await freePort(), await freePort(), await freePort()];
  const tls = security?.tls;
  // With TLS the ports below are TLS ports and the plain ones are off.
  const listen = (port: number) =>
    tls
      ? ['--port', '0', '--tls-port', String(port), ...tlsServerFlags(tls)]
      : ['--port', String(port)];
  const auth = security ? ['--requirepass', security.redis, '--masterauth', security.redis] : [];
  const tlsCli = tls ? ['--tls', '--cacert', tls.caFile] : [];
  const redisCli = (port: number, ...args: string[]) =>
    cli(port, ...tlsCli, ...(security ? ['--no-auth-warning', '-a', security.redis] : []), ...args);
  // No wait before a replica's first sync (Redis 7 waits 5 s for more replicas to join).
  processes.start('master', [
    ...listen(master),
    ...SERVER,
    ...auth,
    '--repl-diskless-sync-delay',
    '0',
  ]);
  await until(`the master on ${master}`, async () => (await redisCli(master, 'PING')) === 'PONG');
  processes.start('replica', [
    ...listen(replica),
    ...SERVER,
    ...auth,
    '--replicaof',
    '127.0.0.1',
    String(master),
  ]);
  await until('the replica in sync', async () =>
    (await redisCli(replica, 'INFO', 'replication')).includes('master_link_status:up'),
  );
  // A Sentinel rewrites its config file: one of its own, in the temporary directory.
  const config = join(processes.dir, 'sentinel.conf');
  writeFileSync(
    config,
    [
      ...(tls
        ? [
            'port 0',
            `tls-port ${sentinel}`,
            `tls-cert-file ${tls.certFile}`,
            `tls-key-file ${tls.keyFile}`,
            `tls-ca-cert-file ${tls.caFile}`,
            'tls-auth-clients no',
            'tls-replication yes',
          ]
        : [`port ${sentinel}`]),
      'bind 127.0.0.1',
      `sentinel monitor ${name} 127.0.0.1 ${master} 1`,
      `sentinel down-after-milliseconds ${name} 1000`,
      `sentinel failover-timeout ${name} 5000`,
      ...(security
        ? [`sentinel auth-pass ${name} ${security.redis}`, `requirepass ${security.sentinel}`]
        : []),
      '',
    ].join('\n'),
  );
  processes.start('sentinel', [config, '--sentinel']);
  const sentinelCli = (...args: string[]) =>
    cli(
      sentinel,
      ...tlsCli,
      ...(security ? ['--no-auth-warning', '-a', security.sentinel] : []),
      ...args,
    );
  // The Sentinel must know the replica before it can promote it.
  await until('the Sentinel to see the replica', async () =>
    (await sentinelCli('SENTINEL', 'REPLICAS', name)).includes(String(replica)),
  );
  return { processes, master, replica, sentinels: [{ host: '127.0.0.1', port: sentinel }], name };
}

/** A TLS redis-server's certificate flags (clients need no certificate); replication over TLS too. */
export function tlsServerFlags(tls: TestTls): string[] {
  return [
    '--tls-cert-file',
    tls.certFile,
    '--tls-key-file',
    tls.keyFile,
    '--tls-ca-cert-file',
    tls.caFile,
    '--tls-auth-clients',
    'no',
    '--tls-replication',
    'yes',
  ];
}

export interface TestCluster {
  processes: RedisProcesses;
  ports: number[];
}

/**
 * Three masters (`redis-cli --cluster create` splits the slots in three), each with
 * `replicas` replicas that take over when it fails (after cluster-node-timeout, 2 s).
 */
export async function startCluster(replicas = 0): Promise<TestCluster> {
  const processes = new RedisProcesses();
  const ports: number[] = [];
  for (let i = 0; i < 3 * (1 + replicas); i++) ports.push(await freePort());
  for (const port of ports) {
    processes.start(`node-${port}`, [
      '--port',
      String(port),
      ...SERVER,
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      `nodes-${port}.conf`,
      '--cluster-node-timeout',
      '2000',
    ]);
  }
  for (const port of ports) {
    await until(`cluster node ${port}`, async () => (await cli(port, 'PING')) === 'PONG');
  }
  await run(
    'redis-cli',
    [
      '--cluster',
      'create',
      ...ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ],
    { timeout: 15_000 },
  );
  for (const port of ports) {
    await until(`cluster_state:ok on ${port}`, async () =>
      (await cli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
    );
  }
  return { processes, ports };
}

/** Until every replica of the master on `port` has all it wrote (replication offsets). */
export async function replicated(port: number): Promise<void> {
  await until(`the replicas of ${port} in step`, async () => {
    const info = await cli(port, 'INFO', 'replication');
    const offset = /master_repl_offset:(\d+)/.exec(info)?.[1];
    const replicas = [...info.matchAll(/^slave\d+:.*offset=(\d+)/gm)].map((m) => m[1]);
    return replicas.length > 0 && replicas.every((o) => o === offset);
  });
}

/** The port of the Cluster node that holds `key`'s slot. */
export async function nodeOf(cluster: TestCluster, key: string): Promise<number> {
  const slot = Number(await cli(cluster.ports[0] as number, 'CLUSTER', 'KEYSLOT', key));
  const lines = (await cli(cluster.ports[0] as number, 'CLUSTER', 'NODES')).split('\n');
  for (const line of lines) {
    const [, address, flags, , , , , , ...ranges] = line.split(' ');
    if (!flags?.includes('master')) continue;
    for (const range of ranges) {
      const [from, to = from] = range.split('-').map(Number);
      if (slot >= (from as number) && slot <= (to as number)) {
        return Number(address?.split('@')[0]?.split(':')[1]);
      }
    }
  }
  throw new Error(`no node holds slot ${slot} of ${key}`);
}
