// Two `loadline control` processes on one Postgres server, one Redis and one ClickHouse
// (chdb behind ClickHouse's HTTP interface, served by this test: no ClickHouse server new
// enough installs here). One is active, the other stands by; the active one is killed
// outright (kill -9) mid-run and the standby takes the run over. Agents run apart, as on
// other machines; the target is this test's own server, counting what it receives.
// LOADLINE_TEST_PGBOUNCER=1: both controls reach Postgres through a real PgBouncer in
// transaction pooling mode (leases, claims and takeover through the pooler).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ChdbHttp, serveChdbOverHttp } from '@loadline/store';
import pg from 'pg';
import { type PgBouncer, startPgBouncer } from '../packages/metadata/src/pgbouncer-fixture.js';
import { cli, closeHttp, freePort, loadline, serveHttp, stopChild, waitUntil } from './support.js';

const POSTGRES =
  process.env.LOADLINE_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dir = mkdtempSync(join(tmpdir(), 'loadline-standby-'));
const database = `loadline_standby_${randomBytes(4).toString('hex')}`;
const namespace = `loadline-standby-${randomBytes(4).toString('hex')}`;
const password = `standby-${randomBytes(8).toString('hex')}`;

async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

const skip = (await postgresAnswers())
  ? false
  : `no Postgres server answers at ${POSTGRES} (set LOADLINE_TEST_POSTGRES)`;

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

interface ControlProcess {
  api: string;
  child: ChildProcess;
  log: string;
}

describe('a standby control takes over (real processes)', { skip, timeout: 240_000 }, () => {
  let clickhouse: ChdbHttp;
  let bouncer: PgBouncer | undefined;
  const controls: ControlProcess[] = [];
  const agents: ChildProcess[] = [];
  let env: NodeJS.ProcessEnv = {};

  const startControl = async (name: string): Promise<ControlProcess> => {
    const port = await freePort();
    const control: ControlProcess = {
      api: `http://127.0.0.1:${port}`,
      child: spawn(loadline, ['control', '--port', String(port), '--namespace', namespace], {
        env: { ...env, LOADLINE_DATA_DIR: join(dir, name) },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
      log: '',
    };
    const keep = (d: Buffer) => {
      control.log = (control.log + d.toString()).slice(-20_000);
    };
    control.child.stdout?.on('data', keep);
    control.child.stderr?.on('data', keep);
    await waitUntil(`control ${name}`, async () => (await fetch(`${control.api}/health`)).ok, {
      timeoutMs: 60_000,
      abortIf: () =>
        control.child.exitCode === null
          ? undefined
          : `exited ${control.child.exitCode}: ${control.log}`,
    });
    controls.push(control);
    return control;
  };

  before(async () => {
    await admin(`CREATE DATABASE ${database}`);
    clickhouse = await serveChdbOverHttp(join(dir, 'clickhouse'));
    if (process.env.LOADLINE_TEST_PGBOUNCER === '1') bouncer = await startPgBouncer(POSTGRES);
    const url = new URL(bouncer?.url ?? POSTGRES);
    url.pathname = `/${database}`;
    env = {
      ...process.env,
      DATABASE_URL: url.href,
      CLICKHOUSE_URL: clickhouse.url,
      // One master secret for both: agents and jobs are signed with keys derived from it.
      LOADLINE_SHADOW_SECRET: randomBytes(32).toString('hex'),
      LOADLINE_ADMIN_PASSWORD: password,
    };
  });

  after(async () => {
    await Promise.all([...agents, ...controls.map((c) => c.child)].map((p) => stopChild(p)));
    await clickhouse?.close();
    await bouncer?.stop();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
  });

  it('the active control killed mid-run: the standby takes over within 10 s, the run passes', async () => {
    const first = await startControl('a');
    const second = await startControl('b');
    const login = await cli(['login', '--api', first.api, '--password-stdin', '--json'], {
      input: `${password}\n`,
    });
    assert.equal(login.code, 0, login.stderr);
    const token = JSON.parse(
      (await cli(['token', 'create', '--role', 'admin', '--api', first.api, '--json'])).stdout,
    ).token as string;
    const as = { ...process.env, LOADLINE_TOKEN: token };
    const get = async (api: string, path: string) =>
      (await fetch(`${api}${path}`, { headers: { authorization: `Bearer ${token}` } })).json();
    const health = async (api: string) => (await fetch(`${api}/health`)).json();
    // One is active, the other stands by; both answer.
    const [a, b] = [await health(first.api), await health(second.api)];
    assert.deepEqual([a.active, b.active].sort(), [false, true], JSON.stringify([a, b]));
    const [active, standby] = a.active ? [first, second] : [second, first];

    // Agents enroll through the standby: the write reaches the active control.
    const agentToken = await cli(
      ['token', 'create', '--role', 'agent', '--api', standby.api, '--json'],
      {
        env: as,
      },
    );
    assert.equal(agentToken.code, 0, agentToken.stderr);
    for (const id of ['standby-1', 'standby-2']) {
      agents.push(
        spawn(loadline, ['agent', '--namespace', namespace, '--id', id], {
          env: {
            ...env,
            LOADLINE_API: standby.api,
            LOADLINE_AGENT_TOKEN: JSON.parse(agentToken.stdout).token,
          },
          stdio: ['ignore', 'ignore', 'inherit'],
        }),
      );
    }
    await waitUntil(
      'two agents',
      async () => (await get(standby.api, '/agents')).agents.length === 2,
    );

    let served = 0;
    const { server, base } = await serveHttp((_req, res) => {
      served++;
      res.end('ok');
    });
    try {
      const file = join(dir, 'failover.yaml');
      writeFileSync(
        file,
        `name: failover
target: ${base}
agents: 2
load: { rate: 100, duration: 14s }
flows: [{ name: f, steps: [{ name: hit, request: { path: / } }] }]
thresholds: { errors: ["rate<0.01"] }
`,
      );
      // Launched through the standby, followed there: it rides through the failover.
      const waiting = cli(['run', file, '--api', standby.api, '--wait', '--json'], { env: as });
      await waitUntil(
        'the run running',
        async () =>
          (await get(standby.api, '/runs?scenario=failover')).runs?.[0]?.status === 'running',
        20_000,
      );
      await new Promise((r) => setTimeout(r, 3000));
      active.child.kill('SIGKILL');
      const killedAt = Date.now();
      await waitUntil(
        'the standby active',
        async () => (await health(standby.api)).active === true,
        15_000,
      );
      const tookOverS = (Date.now() - killedAt) / 1000;
      assert.ok(tookOverS <= 10, `the standby took over in ${tookOverS.toFixed(1)} s`);
      const result = await waiting;
      assert.equal(result.code, 0, result.stderr + result.stdout + standby.log);
      const summary = JSON.parse(result.stdout);
      assert.equal(summary.status, 'passed');
      // The target's own count, what was stored and judged, and the plan agree: 100/s × 14 s.
      assert.equal(served, 1400);
      assert.equal(summary.total.requests, 1400);
      const run = await get(standby.api, `/runs/${summary.runId}`);
      assert.equal(run.live.requests, 1400, 'ClickHouse holds every request');
      assert.match(standby.log, /this control is active; taking over 1 run/);
    } finally {
      closeHttp(server);
    }
  });
});
