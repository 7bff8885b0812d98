// End to end with real processes: `loadline up` (control, two agents, demo mall) and
// `loadline run --wait` against it, as a user would.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, closeHttp, freePort, serveHttp, UpStack, waitUntil } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'loadline-fleet-'));
const stack = new UpStack(join(dir, 'state'));
let api = '';
let demo = '';

async function getJson(path: string) {
  return (await fetch(`${api}${path}`)).json();
}

function scenario(name: string, body: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\ntarget: ${demo}\n${body}`);
  return file;
}

describe('loadline up + loadline run --wait', { timeout: 120_000 }, () => {
  before(async () => {
    await stack.start({ agents: 2 });
    api = stack.api;
    demo = stack.demo;
  });

  after(() => stack.stop());

  it('runs a scenario on both agents; control and ClickHouse agree; exit 0', async () => {
    const file = scenario(
      'browse',
      `agents: 2
load: { rate: 100, duration: 3s }
flows:
  - name: browse
    steps:
      - { name: list, request: { path: "/api/products?page=\${random(1,5)}" }, extract: { id: "json $.items[0].id" }, check: { status: 200 } }
      - { name: detail, request: { path: "/api/products/\${id}" }, check: { status: 200 } }
thresholds:
  "latency{step:detail}": ["p(99)<500"]
`,
    );
    const result = await cli(['run', file, '--api', api, '--wait', '--json']);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.status, 'passed');
    assert.equal(summary.agents, 2);
    assert.equal(summary.total.requests, 600);
    assert.equal(summary.steps.detail.requests, 300);
    assert.equal(summary.steps.detail.checksFailed, 0);
    const run = await getJson(`/runs/${summary.runId}`);
    assert.equal(run.live.requests, 600, 'ClickHouse holds what control merged live');
    for (const key of ['p50', 'p90', 'p99', 'p999', 'max'] as const) {
      // Two exact merges of the same histograms, by two code paths, must agree to the µs.
      assert.equal(run.live.latency[key], summary.total.latencyMs[key], `${key}: store vs control`);
    }
    const junit = await cli(['report', summary.runId, '--api', api, '--format', 'junit']);
    assert.equal(junit.code, 0, junit.stderr);
    assert.match(
      junit.stdout,
      /<testcase classname="browse" name="latency\{step:detail\}: p\(99\)&lt;500"\/>/,
    );
    const hlogFile = join(dir, 'browse.hlog');
    const hlog = await cli([
      'report',
      summary.runId,
      '--api',
      api,
      '--format',
      'hlog',
      '--out',
      hlogFile,
    ]);
    assert.equal(hlog.code, 0, hlog.stderr);
    const bad = await cli(['report', summary.runId, '--api', api, '--format', 'pdf']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--format: expected one of json, md, csv, hlog, junit/);
  });

  it('exits 1 when a threshold fails', async () => {
    const file = scenario(
      'strict',
      `agents: 2
load: { rate: 40, duration: 1s }
flows: [{ name: f, steps: [{ name: s, request: { path: /api/products/1 } }] }]
thresholds: { "latency": ["max<0.001"] }
`,
    );
    const result = await cli(['run', file, '--api', api, '--wait']);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /FAIL {2}latency: max<0\.001/);
  });

  it('ends a run invalid when its agent cannot keep up, and exits 5', async () => {
    // A target of its own (this test's process), so only the agent is overwhelmed: 200,000
    // arrivals a second for 2 s is past what one agent sends on this machine.
    let served = 0;
    const { server, base } = await serveHttp((_req, res) => {
      served++;
      res.end('ok');
    });
    try {
      const file = join(dir, 'flood.yaml');
      writeFileSync(
        file,
        `name: flood
target: ${base}
agents: 1
load: { rate: 200000, duration: 2s }
flows: [{ name: f, steps: [{ name: hit, request: { path: / } }] }]
thresholds: { errors: ["rate<1"] }
`,
      );
      const result = await cli(['run', file, '--api', api, '--wait', '--json']);
      assert.equal(result.code, 5, result.stderr + result.stdout);
      const summary = JSON.parse(result.stdout);
      assert.equal(summary.status, 'invalid');
      assert.equal(summary.passed, false);
      assert.equal(summary.thresholds[0].untrustworthy, true);
      const [saturated] = summary.generator.saturated;
      assert.match(saturated.agentId, /./);
      assert.ok(saturated.lateShare > 0.01 || saturated.eventLoopDelayP99Ms > 50);
      assert.match(summary.generator.hint, /200,000\/s needs about \d+ agents/);
      assert.ok(served > 0 && served <= summary.generator.agents[0].sent);
      // The stored run says so too, for the console and reports.
      const run = await getJson(`/runs/${summary.runId}`);
      assert.equal(run.status, 'invalid');
      const report = await (await fetch(`${api}/runs/${summary.runId}/report?format=md`)).text();
      assert.match(report, /INVALID: a load generator could not keep up/);
    } finally {
      closeHttp(server);
    }
  });

  it('exits 2 on a bad scenario and stores nothing', async () => {
    const before = await getJson('/scenarios');
    const file = scenario('broken', 'load: { rate: 10 }\nflows: []\n');
    const result = await cli(['run', file, '--api', api, '--wait']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /broken\.yaml:3:7 load\.duration: rate needs a duration/);
    assert.deepEqual(await getJson('/scenarios'), before);
  });

  it('stops a run from the CLI within seconds (exit 3 for the waiting client)', async () => {
    const file = scenario(
      'long',
      `agents: 2
load: { rate: 20, duration: 60s }
flows: [{ name: f, steps: [{ name: s, request: { path: /api/products/1 } }] }]
`,
    );
    let runId = '';
    const waiting = cli(['run', file, '--api', api, '--wait', '--json']);
    const deadline = Date.now() + 10_000;
    while (!runId && Date.now() < deadline) {
      // 404 until the CLI has saved the scenario.
      const { runs } = await getJson('/runs?scenario=long');
      if (runs?.[0]?.status === 'running') runId = runs[0].id;
      else await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(runId, 'the run started');
    const stopped = Date.now();
    const stop = await cli(['stop', runId, '--api', api]);
    assert.equal(stop.code, 0, stop.stderr);
    const result = await waiting;
    assert.equal(result.code, 3, result.stderr);
    assert.equal(JSON.parse(result.stdout).status, 'aborted');
    assert.ok(Date.now() - stopped < 5000, 'the waiting client saw the stop within seconds');
  });

  it('refuses a second stack on the same data directory, saying why (exit 2)', async () => {
    const [port, demoPort, consolePort] = [await freePort(), await freePort(), await freePort()];
    const second = await cli([
      'up',
      '--agents',
      '0',
      '--port',
      String(port),
      '--demo-port',
      String(demoPort),
      '--console-port',
      String(consolePort),
      '--data',
      join(dir, 'state'),
    ]);
    assert.equal(second.code, 2, second.stderr);
    assert.match(second.stderr, /--data: .*state is in use by another `loadline up`/);
  });

  it('marks a run degraded when an agent dies, keeping what it delivered', async () => {
    const file = scenario(
      'fragile',
      `agents: 2
load: { rate: 40, duration: 12s }
flows: [{ name: f, steps: [{ name: s, request: { path: /api/products/2 } }] }]
`,
    );
    const waiting = cli(['run', file, '--api', api, '--wait', '--json']);
    // Once the run is under way (both shards claimed, the start said), one agent dies.
    let runId = '';
    await waitUntil(
      'the run running',
      async () => {
        const [run] = (await getJson('/runs?scenario=fragile')).runs ?? [];
        runId = run?.status === 'running' ? run.id : '';
        return runId !== '';
      },
      10_000,
    );
    // ... once both have delivered their first seconds (the start comes up to 2.5 s after
    // `running`), so the victim has something to keep.
    await waitUntil(
      'both agents delivering',
      async () => ((await getJson(`/runs/${runId}`)).live?.requests ?? 0) >= 80,
      15_000,
    );
    const { agents } = await getJson('/agents');
    const victim = agents.find((a: { runId: string | null }) => a.runId === runId);
    assert.ok(victim, 'an agent runs a shard of it');
    process.kill(victim.pid, 'SIGKILL');
    const result = await waiting;
    assert.equal(result.code, 1, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.status, 'degraded');
    // The survivor sent its 12 s × 20 rps; the victim what it pushed before it died.
    assert.ok(summary.total.requests > 240, `${summary.total.requests} requests kept`);
    assert.ok(summary.total.requests < 480, `${summary.total.requests} < a full run`);
  });

  it('ends a run whose agent left while it waited through a control restart; its shards go to no agent', async () => {
    // One agent is left (the last test killed the other): a run asking for 2 waits ...
    const file = scenario(
      'stranded',
      `agents: 2
load: { rate: 10, duration: 5s }
flows: [{ name: f, steps: [{ name: s, request: { path: /api/products/3 } }] }]
`,
    );
    const launched = await cli(['run', file, '--api', api, '--json']);
    assert.equal(launched.code, 0, launched.stderr);
    const { runId } = JSON.parse(launched.stdout);
    await waitUntil(
      'the run waiting for its second agent',
      async () => (await getJson(`/runs/${runId}`)).status === 'waiting-for-agents',
      10_000,
    );
    // ... when `loadline up` stops, and starts again with two agents.
    await stack.stop();
    await stack.start({ agents: 2 });
    api = stack.api;
    demo = stack.demo;
    // Not stranded: the new control takes it over, hears that its one agent gave its shard
    // up when it stopped, and ends it; none of its shards reach the new agents.
    await waitUntil(
      'the run ended',
      async () => (await getJson(`/runs/${runId}`)).status === 'error',
      10_000,
    );
    const run = await getJson(`/runs/${runId}`);
    // However it hears of it first: the agent's own word, or its heartbeat gone.
    assert.match(
      run.abortReason,
      /agent local-\d (gave up|left after claiming) shard \d.* before the run started/,
    );
    await new Promise((r) => setTimeout(r, 1500));
    const { agents } = await getJson('/agents');
    assert.equal(agents.length, 2);
    for (const agent of agents) assert.equal(agent.runId, null, `${agent.agentId} is idle`);
  });
});
