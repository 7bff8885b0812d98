// A fleet across hosts: four hosts (network namespaces, each its own address on a bridge)
// run five agents each (one process per host, fleet-host.mjs); control, Redis and the target are in the root
// namespace, reached across the bridge as over a LAN. Two hosts' clocks are wrong (libfaketime:
// one 400 ms ahead, one 300 ms behind): agents measure their offset to control's clock and
// start on control's instant. The target counts requests per source address by its own clock.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeHistogram, mergeHistograms, summarizeLatency } from '@loadline/histogram';
import { type ChdbHttp, serveChdbOverHttp } from '@loadline/store';
import { LIBFAKETIME, netnsSkipReason, TestNetwork } from './netns.js';
import { cli, freePort, loadline, stopChild, waitUntil } from './support.js';

/** a host's agents, in one process (see fleet-host.mjs) */
const FLEET_HOST = join(dirname(fileURLToPath(import.meta.url)), 'fleet-host.mjs');
const HOSTS = 4;
const AGENTS_PER_HOST = 5;
const AGENTS = HOSTS * AGENTS_PER_HOST;
const RATE = 600;
const DURATION_S = 5;
/** how far each host's clock is off (s, libfaketime's FAKETIME); control's is right */
const CLOCK_SKEW_S: Record<string, number> = { host2: 0.4, host4: -0.3 };

function hasRedisServer(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The target: counts requests per source address and when each source's first arrived (its
 * own clock); GET /__counts (from the root namespace) answers with the counts.
 */
const TARGET = `
const [host, port] = process.argv.slice(1);
const bySource = {};
const firstBySocket = [];
require('node:http').createServer((req, res) => {
  if (req.url === '/__counts') return res.end(JSON.stringify(bySource));
  if (req.url === '/__sockets') return res.end(JSON.stringify(firstBySocket));
  if (req.url === '/warm-up') return res.end('ok');
  if (!req.socket.seen) { req.socket.seen = true; firstBySocket.push([req.socket.remoteAddress, req.socket.remotePort, performance.timeOrigin + performance.now()]); }
  const source = req.socket.remoteAddress;
  const seen = bySource[source];
  if (seen) seen.requests++;
  else bySource[source] = { requests: 1, firstAt: performance.timeOrigin + performance.now() };
  res.end('ok');
}).listen(Number(port), host);
`;

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const skip = netnsSkipReason() || (hasRedisServer() ? false : 'no redis-server installed');
const dir = mkdtempSync(join(tmpdir(), 'loadline-hosts-'));
const namespace = `loadline-hosts-${randomBytes(4).toString('hex')}`;
const password = `hosts-${randomBytes(8).toString('hex')}`;

describe(`a fleet on ${HOSTS} hosts × ${AGENTS_PER_HOST} agents`, {
  skip,
  timeout: 240_000,
}, () => {
  let network: TestNetwork;
  let redis: ChildProcess | undefined;
  let control: ChildProcess | undefined;
  let controlLog = '';
  let clickhouse: ChdbHttp;
  let target: ChildProcess | undefined;
  let targetPort = 0;
  let api = '';
  let redisUrl = '';
  let token = '';
  const skewed = existsSync(LIBFAKETIME);

  const get = async (path: string) =>
    (await fetch(`${api}${path}`, { headers: { authorization: `Bearer ${token}` } })).json();

  before(async () => {
    network = TestNetwork.create(HOSTS);
    const gateway = network.gateway;
    const redisPort = await freePort();
    redis = spawn(
      'redis-server',
      // No password on this test LAN: protected mode would refuse every host but loopback.
      [
        '--port',
        String(redisPort),
        '--bind',
        gateway,
        '--protected-mode',
        'no',
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore', cwd: dir },
    );
    redisUrl = `redis://${gateway}:${redisPort}`;
    await waitUntil('redis-server', () => listening(gateway, redisPort));
    clickhouse = await serveChdbOverHttp(join(dir, 'clickhouse'));
    // The target is a process of its own (this one serves ClickHouse, whose queries block).
    targetPort = await freePort();
    target = spawn(process.execPath, ['-e', TARGET, gateway, String(targetPort)], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitUntil('the target', () => listening(gateway, targetPort));
    const controlPort = await freePort();
    api = `http://${gateway}:${controlPort}`;
    control = spawn(
      loadline,
      ['control', '--port', String(controlPort), '--namespace', namespace, '--insecure-http'],
      {
        env: {
          ...process.env,
          LOADLINE_API: api,
          REDIS_URL: redisUrl,
          CLICKHOUSE_URL: clickhouse.url,
          LOADLINE_DATA_DIR: join(dir, 'control'),
          LOADLINE_ADMIN_PASSWORD: password,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const keep = (d: Buffer) => {
      controlLog = (controlLog + d.toString()).slice(-20_000);
    };
    control.stdout?.on('data', keep);
    control.stderr?.on('data', keep);
    await waitUntil('control', async () => (await fetch(`${api}/health`)).ok, {
      timeoutMs: 60_000,
      abortIf: () => (control?.exitCode === null ? undefined : `control exited: ${controlLog}`),
    });
    const login = await cli(['login', '--api', api, '--password-stdin', '--json'], {
      input: `${password}\n`,
    });
    assert.equal(login.code, 0, login.stderr);
    token = JSON.parse(
      (await cli(['token', 'create', '--role', 'admin', '--api', api, '--json'])).stdout,
    ).token;
    const agentToken = JSON.parse(
      (await cli(['token', 'create', '--role', 'agent', '--api', api, '--json'])).stdout,
    ).token;
    const put = await fetch(`${api}/environments/lan`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ allowedHosts: [gateway], requiresShadow: false }),
    });
    assert.equal(put.status, 200, await put.text());
    for (const host of network.hosts) {
      const skew = CLOCK_SKEW_S[host.name];
      network.spawn(host, process.execPath, [FLEET_HOST, String(AGENTS_PER_HOST), host.name], {
        env: {
          ...process.env,
          LOADLINE_API: api,
          LOADLINE_AGENT_TOKEN: agentToken,
          LOADLINE_NAMESPACE: namespace,
          REDIS_URL: redisUrl,
          // This host's wall clock is off; its monotonic clock is not (as with a bad NTP).
          ...(skewed && skew !== undefined
            ? {
                LD_PRELOAD: LIBFAKETIME,
                FAKETIME: `${skew > 0 ? '+' : ''}${skew}`,
                DONT_FAKE_MONOTONIC: '1',
              }
            : {}),
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    }
    await waitUntil(
      `${AGENTS} agents with their clocks measured`,
      async () => {
        const { agents } = await get('/agents');
        return (
          agents.length === AGENTS &&
          agents.every((a: { clockOffsetMs?: number }) => a.clockOffsetMs !== undefined)
        );
      },
      { timeoutMs: 120_000 },
    );
  });

  after(async () => {
    network?.close();
    await stopChild(control);
    await stopChild(redis);
    await stopChild(target);
    await clickhouse?.close();
  });

  it('measures each agent’s clock against control’s', {
    skip: skewed ? false : `no ${LIBFAKETIME}`,
  }, async () => {
    const { agents } = await get('/agents');
    for (const agent of agents) {
      const host = (agent.agentId as string).split('-')[0] as string;
      // control − agent: an agent ahead by 0.4 s is −400 ms from control.
      const expected = -(CLOCK_SKEW_S[host] ?? 0) * 1000;
      // Within the reading's own bound (half the round trips), as NTP's offsets are.
      assert.ok(
        Math.abs(agent.clockOffsetMs - expected) <= agent.clockUncertaintyMs + 5,
        `${agent.agentId}: offset ${agent.clockOffsetMs} ms (± ${agent.clockUncertaintyMs}), expected ${expected}`,
      );
    }
  });

  it(`one run shared by ${AGENTS} agents: exact shares per host, start skew under 20 ms, merged percentiles`, async () => {
    const { agents: measured } = await get('/agents');
    console.log(
      `clock offsets: ${measured.map((a: { agentId: string; clockOffsetMs: number; clockUncertaintyMs: number }) => `${a.agentId} ${a.clockOffsetMs}±${a.clockUncertaintyMs}`).join(', ')}`,
    );
    const runFile = (name: string, path: string, durationS: number) => {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(
        file,
        `name: ${name}
target: http://${network.gateway}:${targetPort}
agents: ${AGENTS}
load: { rate: ${RATE}, duration: ${durationS}s }
flows: [{ name: f, steps: [{ name: hit, request: { path: ${path} } }] }]
`,
      );
      return file;
    };
    // Agents are long-lived processes: a fresh one's first requests go through cold code
    // (a few ms each on this 2-core machine, four hosts at once), a warm one's do not. One
    // short run first, not counted by the target, so the skew measured is the clocks'.
    const warm = await cli(
      [
        'run',
        runFile('warm-up', '/warm-up', 1),
        '--api',
        api,
        '--environment',
        'lan',
        '--wait',
        '--json',
      ],
      { env: { ...process.env, LOADLINE_TOKEN: token } },
    );
    assert.equal(warm.code, 0, warm.stderr + warm.stdout);
    const file = runFile('lan', '/', DURATION_S);
    const result = await cli(
      ['run', file, '--api', api, '--environment', 'lan', '--wait', '--json'],
      { env: { ...process.env, LOADLINE_TOKEN: token } },
    );
    assert.equal(result.code, 0, result.stderr + result.stdout + controlLog);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.status, 'passed');
    assert.equal(summary.agents, AGENTS);

    const bySource = new Map<string, { requests: number; firstAt: number }>(
      Object.entries(
        await (await fetch(`http://${network.gateway}:${targetPort}/__counts`)).json(),
      ),
    );
    // Per host, by the target's own count: each carried its planned share (5 of 20 agents).
    const planned = (RATE * DURATION_S) / HOSTS;
    const shares = network.hosts.map((host) => ({ host, ...bySource.get(host.address) }));
    for (const { host, requests } of shares) {
      assert.ok(requests !== undefined, `${host.name} (${host.address}) sent nothing`);
      assert.ok(
        Math.abs(requests - planned) / planned <= 0.01,
        `${host.name}: ${requests} requests, planned ${planned}`,
      );
    }
    const received = shares.reduce((sum, s) => sum + (s.requests ?? 0), 0);
    assert.deepEqual([...bySource.keys()].sort(), network.hosts.map((h) => h.address).sort());
    assert.equal(summary.total.requests, received, 'stored = the target’s count');
    const run = await get(`/runs/${summary.runId}`);
    assert.equal(run.live.requests, received, 'ClickHouse holds every request');

    // Every host's first request, at the target: they started together although two clocks
    // are hundreds of ms off.
    const firsts = shares.map((s) => s.firstAt as number);
    const skewMs = Math.max(...firsts) - Math.min(...firsts);
    const earliest = Math.min(...firsts);
    const sockets = (await (
      await fetch(`http://${network.gateway}:${targetPort}/__sockets`)
    ).json()) as [string, number, number][];
    console.log(
      `first requests per connection: ${sockets
        .slice(0, 30)
        .map(([a, p, t]) => `${a.split('.')[3]}:${p} +${(t - earliest).toFixed(1)}`)
        .join(', ')}`,
    );
    console.log(
      `hosts: ${shares.map((s) => `${s.host.name} ${s.requests} (first +${((s.firstAt as number) - earliest).toFixed(1)} ms)`).join(', ')}; start skew ${skewMs.toFixed(1)} ms`,
    );
    assert.ok(skewMs < 20, `start skew across hosts ${skewMs.toFixed(1)} ms`);

    // Stored with the run: each shard's agent and its clock's offset.
    assert.equal(run.shards.length, AGENTS);
    for (const shard of run.shards) {
      const host = (shard.agentId as string).split('-')[0] as string;
      const expected = skewed ? -(CLOCK_SKEW_S[host] ?? 0) * 1000 : 0;
      assert.ok(Math.abs(shard.clockOffsetMs - expected) <= 25, JSON.stringify(shard));
    }

    // The run's percentiles are one merge of every agent's histograms, read back per agent.
    const query = `SELECT agent_id, histogram FROM intervals FINAL WHERE run_id = '${summary.runId}' AND histogram != '' FORMAT JSONEachRow`;
    const body = await (
      await fetch(`${clickhouse.url}/?database=loadline`, { method: 'POST', body: query })
    ).text();
    const rows = body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { agent_id: string; histogram: string });
    const perAgent = new Map<string, ReturnType<typeof decodeHistogram>[]>();
    for (const row of rows) {
      const list = perAgent.get(row.agent_id) ?? [];
      list.push(decodeHistogram(row.histogram));
      perAgent.set(row.agent_id, list);
    }
    assert.equal(perAgent.size, AGENTS);
    const merged = summarizeLatency(
      mergeHistograms([...perAgent.values()].map((list) => mergeHistograms(list))),
    );
    assert.equal(merged.count, received);
    for (const key of ['p50', 'p90', 'p99', 'p999', 'max'] as const) {
      assert.equal(summary.total.latencyMs[key], merged[key], `${key}: control vs agents merged`);
      assert.equal(run.live.latency[key], merged[key], `${key}: store vs agents merged`);
    }
  });
});
