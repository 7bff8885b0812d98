// A Redis restart mid-run, for real: Debian's redis-server, started here on a port of its
// own with an append-only file, killed (SIGKILL) while a run goes and started again on the
// same port and files. Control and the agent reconnect; nothing delivered is lost.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import type http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Agent } from '@loadline/agent';
import { redisAnswers } from '@loadline/queue';
import { Control } from './control.js';
import {
  adminFetch,
  callApi,
  ended,
  startAgents,
  startTarget,
  testControlConfig,
  waitForRunStatus,
} from './testing.js';

const skip =
  spawnSync('sh', ['-c', 'command -v redis-server']).status === 0
    ? false
    : 'needs redis-server (apt-get install redis-server)';

const dir = mkdtempSync(join(tmpdir(), 'loadline-redis-outage-'));
let port = 0;
let redisServer: ChildProcess | undefined;
let control: Control | undefined;
let authed: typeof fetch = fetch;
let agents: Agent[] = [];
let server: http.Server;
let target = '';
let served = 0;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port: free } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return free;
}

/** redis-server on `port`, its append-only file in `dir` (every write synced). */
async function startRedis(): Promise<void> {
  redisServer = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    if (await redisAnswers(`redis://127.0.0.1:${port}`, 200)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not start on port ${port}`);
}

async function killRedis(): Promise<void> {
  const child = redisServer;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

const api = (method: string, path: string, body?: unknown) =>
  callApi((control as Control).url, method, path, body, authed);

describe('a Redis restart mid-run (real redis-server, AOF)', { skip }, () => {
  before(async () => {
    port = await freePort();
    await startRedis();
    ({ server, url: target } = await startTarget((_req, res) => {
      served++;
      res.end('ok');
    }));
    const redis = { url: `redis://127.0.0.1:${port}`, namespace: 'loadline-outage' };
    control = await Control.start(testControlConfig(redis, 'loadline-redis-outage-'));
    authed = await adminFetch(control);
    agents = await startAgents(redis, control, 1);
  });

  after(async () => {
    // A private Redis, killed last: nothing of it to clean up.
    await Promise.all(agents.map((agent) => agent.stop()));
    await control?.close();
    server?.closeAllConnections();
    server?.close();
    await killRedis();
  });

  it('carries on through a 2 s Redis restart: the run passes and every request is stored', async () => {
    const source = `name: through-redis-restart
target: ${target}
agents: 1
load: { rate: 50, duration: 10s }
flows: [{ name: f, steps: [{ name: s, request: { path: / } }] }]
`;
    assert.equal((await api('POST', '/scenarios', { source })).status, 201);
    const created = await api('POST', '/runs', { scenario: 'through-redis-restart' });
    const id = created.json.id as string;
    await waitForRunStatus(api, id, (s) => s === 'running', 10_000);
    await new Promise((r) => setTimeout(r, 3000));
    await killRedis();
    const servedWhenKilled = served;
    await new Promise((r) => setTimeout(r, 2000));
    await startRedis();
    const run = await waitForRunStatus(api, id, ended, 30_000);
    assert.ok(served > servedWhenKilled, 'the agent kept sending through the outage');
    assert.equal(run.status, 'passed', run.abortReason);
    // Every request the target answered is stored and judged: none lost in the outage.
    assert.equal(served, 500);
    assert.equal(run.summary.total.requests, served);
    assert.equal(run.live.requests, served);
  });
});
