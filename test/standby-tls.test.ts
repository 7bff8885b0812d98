// Two controls as infra/k8s/control.yaml runs them: HTTPS on a wildcard listener, each
// advertising its own address (LOADLINE_ADVERTISE_URL, an address its certificate does not
// name, like a pod IP), the certificate naming the Service (loadline-control) and
// localhost, LOADLINE_PUBLIC_HOSTS=loadline-control, the authority trusted through
// NODE_EXTRA_CA_CERTS. A standby forwards a write to the active one and checks its
// certificate against the caller's Host: it works for the names in the certificate, and
// is refused for a caller that uses a bare address (infra/README.md, "Known gaps"), and
// for a standby that does not trust the authority. Real processes on one Postgres server.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ChdbHttp, serveChdbOverHttp } from '@loadline/store';
import pg from 'pg';
import { freePort, loadline, root, stopChild, waitUntil } from './support.js';

const POSTGRES =
  process.env.LOADLINE_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dir = mkdtempSync(join(tmpdir(), 'loadline-standby-tls-'));
const database = `loadline_tls_${randomBytes(4).toString('hex')}`;
const namespace = `loadline-tls-${randomBytes(4).toString('hex')}`;
const password = `standby-${randomBytes(8).toString('hex')}`;

async function admin(statement: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query(statement);
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

const skip = (await admin('SELECT 1'))
  ? false
  : `no Postgres server answers at ${POSTGRES} (set LOADLINE_TEST_POSTGRES)`;

interface Answer {
  status: number;
  body: string;
}

/** A request to 127.0.0.1:port with `host` as Host (and so as the TLS server name, by Node). */
function request(port: number, host: string, method: string, path: string, body?: unknown) {
  const ca = readFileSync(join(dir, 'certs/ca.crt'));
  return new Promise<Answer>((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        ca,
        headers: { host, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('standby controls over TLS, as control.yaml runs them', { skip, timeout: 180_000 }, () => {
  let clickhouse: ChdbHttp;
  const children: ChildProcess[] = [];
  const ports: number[] = [];

  const startControl = async (name: string, trustsAuthority: boolean) => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      LOADLINE_API: `https://0.0.0.0:${port}`,
      // 127.0.0.2 reaches the wildcard listener and is not in the certificate: a pod IP.
      LOADLINE_ADVERTISE_URL: `https://127.0.0.2:${port}`,
      LOADLINE_PUBLIC_HOSTS: 'loadline-control',
      LOADLINE_DATA_DIR: join(dir, name),
      ...(trustsAuthority ? { NODE_EXTRA_CA_CERTS: join(dir, 'certs/ca.crt') } : {}),
    };
    if (!trustsAuthority) delete env.NODE_EXTRA_CA_CERTS;
    const tls = [
      '--tls-cert',
      join(dir, 'certs/control.crt'),
      '--tls-key',
      join(dir, 'certs/control.key'),
    ];
    const child = spawn(loadline, ['control', '--namespace', namespace, ...tls], {
      env,
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    children.push(child);
    await waitUntil(
      `control ${name}`,
      async () => (await request(port, 'localhost', 'GET', '/health')).status === 200,
      {
        timeoutMs: 60_000,
        abortIf: () => (child.exitCode === null ? undefined : `exited ${child.exitCode}`),
      },
    );
    ports.push(port);
    return port;
  };
  const active = async (port: number) =>
    JSON.parse((await request(port, 'localhost', 'GET', '/health')).body).active === true;

  before(async () => {
    const made = spawnSync(
      'sh',
      [
        join(root, 'infra/tls/make-certs.sh'),
        join(dir, 'certs'),
        'control',
        'DNS:loadline-control,DNS:localhost,IP:127.0.0.1',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(made.status, 0, made.stderr);
    assert.ok(await admin(`CREATE DATABASE ${database}`));
    clickhouse = await serveChdbOverHttp(join(dir, 'clickhouse'));
    const url = new URL(POSTGRES);
    url.pathname = `/${database}`;
    Object.assign(process.env, {
      DATABASE_URL: url.href,
      CLICKHOUSE_URL: clickhouse.url,
      LOADLINE_SHADOW_SECRET: randomBytes(32).toString('hex'),
      LOADLINE_ADMIN_PASSWORD: password,
    });
  });

  after(async () => {
    await Promise.all(children.map((c) => stopChild(c)));
    await clickhouse?.close();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  it('forwards a write for callers that use a name in the certificate, not a bare address', async () => {
    const first = await startControl('a', true);
    await waitUntil('an active control', () => active(first), 20_000);
    const standby = await startControl('b', true);
    assert.equal(await active(standby), false);
    const signIn = { username: 'admin', password, expires: '1d' };

    // Through the standby as agents call it (the Service's name) and as port-forward does.
    for (const host of [`loadline-control:${standby}`, `localhost:${standby}`]) {
      const answer = await request(standby, host, 'POST', '/auth/token', signIn);
      assert.equal(answer.status, 201, `${host}: ${answer.body}`);
    }
    // A bare address as Host: Node checks the active one's certificate against the
    // advertised address, which it does not name.
    const bare = await request(standby, `127.0.0.1:${standby}`, 'POST', '/auth/token', signIn);
    assert.equal(bare.status, 503, bare.body);
    assert.match(
      bare.body,
      /did not answer: Hostname\/IP does not match certificate's altnames: IP: 127\.0\.0\.2/,
    );

    // A standby without the authority cannot check the active one at all.
    const untrusting = await startControl('c', false);
    const refused = await request(untrusting, 'loadline-control', 'POST', '/auth/token', signIn);
    assert.equal(refused.status, 503, refused.body);
    assert.match(refused.body, /did not answer: .*(self-signed|unable to verify|issuer)/i);
  });
});
