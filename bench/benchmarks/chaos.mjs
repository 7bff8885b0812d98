// 8. Chaos: runs through faults, with real processes killed and started again. One stack
// (`loadline up --agents 0`, results in ClickHouse served over HTTP by a process of its own,
// so storage can be stopped from outside), its own redis-server with an append-only file,
// two `loadline agent` processes apart from it, and a target in this process counting what
// it receives. Per fault, a 2-agent open-model run and, 5 s in:
//   control  kill -9 of `loadline up` (control, console, demo), started again at once
//   agent    kill -9 of one agent (the run goes on degraded)
//   redis    kill -9 of redis-server, started again 3 s later (AOF)
//   storage  kill -9 of the ClickHouse endpoint, started again after an outage
// and reported: the final status, requests the target received vs stored, seconds without
// the failed part, seconds until the run was coordinated again. Stored must equal received
// for every fault but the agent's, where it may miss at most that agent's last second.
// The peers are compared by their documented behaviour (neither installs offline here): a
// k6 instance that loses its process loses its whole result, and has no control plane to
// come back to; Locust's master drops a worker missing 3 heartbeats and ends the test when
// the master itself dies.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from '../lib/net.mjs';
import { onCleanup, run, sleep } from '../lib/proc.mjs';
import { fmt, verdict } from '../lib/table.mjs';
import { config, root } from '../lib/tools.mjs';

const PEERS = {
  control:
    'k6: no control plane (a lost k6 process loses its whole result); Locust: master dies, test ends',
  agent: "k6: that instance's result lost; Locust: worker dropped after 3 missed heartbeats",
  redis: 'k6/Locust: no broker (k6 has none to lose; Locust master–worker link is ZeroMQ)',
  storage: 'k6: an output that fails is logged, its samples dropped; Locust: no result store',
};

/** A child in a process group of its own: killed outright (kill -9), with what it started. */
function startGroup(command, args, options) {
  const child = spawn(command, args, { ...options, detached: true });
  const kill = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  };
  onCleanup(kill);
  let output = '';
  const keep = (d) => {
    output = (output + d.toString()).slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return {
    child,
    kill,
    get output() {
      return output;
    },
    exited: new Promise((resolve) => child.once('exit', resolve)),
  };
}

const seconds = (s) => (s === null ? 'n/a' : `${s.toFixed(1)} s`);

async function until(what, ok, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ok().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
}

export async function chaos({ quick }) {
  const rate = quick ? 100 : 200;
  const durationS = quick ? 15 : 30;
  const storageOutageS = quick ? 8 : 30;
  const dir = mkdtempSync(join(tmpdir(), 'loadline-chaos-bench-'));
  const home = join(dir, 'home');
  mkdirSync(home);
  const namespace = `loadline-chaos-${process.pid}`;
  const [redisPort, clickhousePort, apiPort, demoPort, consolePort] = await Promise.all(
    [0, 1, 2, 3, 4].map(() => freePort()),
  );
  const api = `http://127.0.0.1:${apiPort}`;
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: home,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    CLICKHOUSE_URL: `http://127.0.0.1:${clickhousePort}`,
  };
  const cli = (args, timeoutMs = 60_000) =>
    run('tool', process.execPath, [config.loadlineBin, ...args], { env, timeoutMs });

  let served = 0;
  const target = http.createServer((_req, res) => {
    served++;
    res.end('ok');
  });
  await new Promise((resolve) => target.listen(0, '127.0.0.1', resolve));
  const targetUrl = `http://127.0.0.1:${target.address().port}`;

  const redisDir = join(dir, 'redis');
  mkdirSync(redisDir);
  const startRedis = () =>
    startGroup(
      'redis-server',
      [
        '--port',
        String(redisPort),
        '--bind',
        '127.0.0.1',
        '--appendonly',
        'yes',
        '--dir',
        redisDir,
        '--save',
        '',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
  const storeModule = join(root, 'packages/store/dist/index.js');
  const startClickHouse = () =>
    startGroup(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { serveChdbOverHttp } = await import(${JSON.stringify(storeModule)});
         await serveChdbOverHttp(${JSON.stringify(join(dir, 'clickhouse'))}, ${clickhousePort});`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
  const startStack = () =>
    startGroup(
      process.execPath,
      [
        config.loadlineBin,
        'up',
        '--agents',
        '0',
        '--port',
        String(apiPort),
        '--demo-port',
        String(demoPort),
        '--console-port',
        String(consolePort),
        '--data',
        join(dir, 'state'),
        '--namespace',
        namespace,
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
  const token = () => {
    try {
      return JSON.parse(readFileSync(join(home, 'loadline', 'credentials.json'), 'utf8')).apis[api]
        ?.token;
    } catch {
      return undefined;
    }
  };
  const get = async (path) =>
    (await fetch(`${api}${path}`, { headers: { authorization: `Bearer ${token()}` } })).json();
  // Up once it answers and has written this machine's CLI token (it does so after listening).
  const healthy = async () => (await fetch(`${api}/health`)).ok && token() !== undefined;

  let redis = startRedis();
  let clickhouse = startClickHouse();
  const parts = [];
  try {
    await until('redis-server', () => waitForPort(redisPort, 500), 10_000);
    await until('the ClickHouse endpoint', () => waitForPort(clickhousePort, 500), 30_000);
    let stack = startStack();
    await until('loadline up', healthy, 90_000);
    const created = await cli(['token', 'create', '--role', 'agent', '--api', api, '--json']);
    if (created.code !== 0) throw new Error(`token create: ${created.stderr}`);
    const agentToken = JSON.parse(created.stdout).token;
    const agents = new Map();
    const startAgent = (id) =>
      agents.set(
        id,
        startGroup(
          process.execPath,
          [config.loadlineBin, 'agent', '--namespace', namespace, '--id', id],
          {
            env: { ...env, LOADLINE_API: api, LOADLINE_AGENT_TOKEN: agentToken },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        ),
      );
    const agentsUp = (n) =>
      until(`${n} agents`, async () => (await get('/agents')).agents.length === n, 30_000);
    startAgent('chaos-1');
    startAgent('chaos-2');
    await agentsUp(2);
    console.log(
      `  up on ${api} (ClickHouse over HTTP on :${clickhousePort}, redis on :${redisPort}); ${rate}/s for ${durationS} s on 2 agents, fault 5 s in`,
    );

    const faults = {
      control: async () => {
        const killedAt = Date.now();
        stack.kill();
        await stack.exited;
        stack = startStack();
        await until('loadline up again', healthy, 90_000);
        const withoutS = (Date.now() - killedAt) / 1000;
        await until(
          'the run taken over',
          async () => /taken over running/.test(stack.output),
          60_000,
        );
        return { withoutS, resumeS: (Date.now() - killedAt) / 1000 };
      },
      agent: async () => {
        const victim = agents.get('chaos-2');
        victim.kill();
        await victim.exited;
        // The run never paused: the other agent went on, the lost one's share is gone.
        return { withoutS: null, resumeS: null };
      },
      redis: async () => {
        const killedAt = Date.now();
        redis.kill();
        await redis.exited;
        await sleep(3000);
        redis = startRedis();
        await until('redis-server again', () => waitForPort(redisPort, 500), 10_000);
        return {
          withoutS: (Date.now() - killedAt) / 1000,
          resumeS: (Date.now() - killedAt) / 1000,
        };
      },
      storage: async () => {
        const killedAt = Date.now();
        clickhouse.kill();
        await clickhouse.exited;
        await sleep(storageOutageS * 1000);
        clickhouse = startClickHouse();
        await until(
          'the ClickHouse endpoint again',
          () => waitForPort(clickhousePort, 500),
          30_000,
        );
        return {
          withoutS: (Date.now() - killedAt) / 1000,
          resumeS: (Date.now() - killedAt) / 1000,
        };
      },
    };

    for (const [fault, inject] of Object.entries(faults)) {
      const file = join(dir, `${fault}.yaml`);
      writeFileSync(
        file,
        `name: chaos-${fault}\ntarget: ${targetUrl}\nagents: 2\nload: { rate: ${rate}, duration: ${durationS}s }\n` +
          'flows: [{ name: f, steps: [{ name: hit, request: { path: / } }] }]\nthresholds: { errors: ["rate<0.01"] }\n',
      );
      served = 0;
      const waiting = cli(
        ['run', file, '--api', api, '--wait', '--json'],
        (durationS + 240) * 1000,
      );
      await until(
        'the run running',
        async () => (await get(`/runs?scenario=chaos-${fault}`)).runs?.[0]?.status === 'running',
        30_000,
      );
      await sleep(5000);
      const timing = await inject();
      const result = await waiting;
      const summary = JSON.parse(result.stdout.trim().split('\n').at(-1));
      // What the target received, counted after every agent stopped.
      await sleep(1000);
      const received = served;
      const run = await get(`/runs/${summary.runId}`);
      const stored = run.live?.requests ?? summary.total?.requests ?? 0;
      const lostBound = fault === 'agent' ? Math.ceil(rate / 2) : 0;
      const pass =
        received - stored >= 0 &&
        received - stored <= lostBound &&
        (fault === 'agent' ? summary.status === 'degraded' : summary.status === 'passed');
      const part = {
        fault,
        status: summary.status,
        exitCode: result.code,
        received,
        stored,
        judged: summary.total?.requests ?? 0,
        ...timing,
        pass,
      };
      parts.push(part);
      console.log(
        `  ${fault}: ${summary.status} (exit ${result.code}); target received ${fmt(received)}, stored ${fmt(stored)} (difference ${fmt(received - stored)}, allowed ≤ ${lostBound}); without ${seconds(timing.withoutS)}, resumed after ${seconds(timing.resumeS)}  ${verdict(pass)}`,
      );
      if (fault === 'agent') {
        startAgent('chaos-2');
        await agentsUp(2);
      }
    }
    for (const agent of agents.values()) agent.kill();
    await Promise.all([...agents.values()].map((agent) => agent.exited));
    stack.kill();
    await stack.exited;
  } finally {
    redis.kill();
    clickhouse.kill();
    target.closeAllConnections();
    target.close();
  }
  return {
    rate,
    durationS,
    runs: { loadline: { parts } },
    rows: parts.map((p) => ({
      metric: `chaos: ${p.fault}`,
      loadline: `${p.status}, received ${fmt(p.received)}, stored ${fmt(p.stored)}, resumed ${seconds(p.resumeS)}`,
      peer: 'documented',
      peerValue: PEERS[p.fault],
      ratio: null,
      target: p.fault === 'agent' ? 'degraded, Δ ≤ its last second' : 'passed, Δ = 0',
      pass: p.pass,
    })),
  };
}
