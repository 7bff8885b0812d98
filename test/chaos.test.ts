// Fault tests with real processes: control killed outright (kill -9, with everything
// `loadline up` started) mid-run and started again on the same state. Agents run apart, as
// on other machines; the target is this test's own server, counting what it receives.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, closeHttp, loadline, serveHttp, stopChild, UpStack, waitUntil } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'loadline-chaos-'));
const stack = new UpStack(join(dir, 'state'));
const agents: ChildProcess[] = [];

async function getJson(path: string) {
  return (await fetch(`${stack.api}${path}`)).json();
}

describe('runs through control faults (real processes)', { timeout: 240_000 }, () => {
  before(async () => {
    await stack.start({ agents: 0 });
    const token = await cli(['token', 'create', '--role', 'agent', '--api', stack.api, '--json']);
    assert.equal(token.code, 0, token.stderr);
    for (const id of ['chaos-1', 'chaos-2']) {
      const agent = spawn(loadline, ['agent', '--namespace', stack.namespace, '--id', id], {
        env: {
          ...process.env,
          LOADLINE_API: stack.api,
          LOADLINE_AGENT_TOKEN: JSON.parse(token.stdout).token,
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      agents.push(agent);
    }
    await waitUntil(
      'two agents',
      async () => (await getJson('/agents')).agents.length === 2,
      30_000,
    );
  });

  after(async () => {
    await Promise.all(agents.map((agent) => stopChild(agent)));
    await stack.stop();
  });

  it('control killed mid-run and back: the run goes on and passes, nothing lost', async () => {
    let served = 0;
    const { server, base } = await serveHttp((_req, res) => {
      served++;
      res.end('ok');
    });
    try {
      const file = join(dir, 'through.yaml');
      writeFileSync(
        file,
        `name: through
target: ${base}
agents: 2
load: { rate: 100, duration: 12s }
flows: [{ name: f, steps: [{ name: hit, request: { path: / } }] }]
thresholds: { errors: ["rate<0.01"] }
`,
      );
      const waiting = cli(['run', file, '--api', stack.api, '--wait', '--json']);
      await waitUntil(
        'the run running',
        async () => (await getJson('/runs?scenario=through')).runs?.[0]?.status === 'running',
        20_000,
      );
      await new Promise((r) => setTimeout(r, 3000));
      const servedBefore = served;
      await stack.kill();
      const killedAt = Date.now();
      // The agents go on without control (their grace is 30 s): load keeps arriving.
      await new Promise((r) => setTimeout(r, 1500));
      assert.ok(served > servedBefore, 'load went on while control was away');
      await stack.start({ agents: 0, samePorts: true });
      const backAfterS = (Date.now() - killedAt) / 1000;
      const result = await waiting;
      assert.equal(result.code, 0, result.stderr + result.stdout);
      const summary = JSON.parse(result.stdout);
      assert.equal(summary.status, 'passed');
      // The target's own count, what was stored and judged, and the plan agree: 100/s × 12 s.
      assert.equal(served, 1200);
      assert.equal(summary.total.requests, 1200);
      const run = await getJson(`/runs/${summary.runId}`);
      assert.equal(run.live.requests, 1200, 'ClickHouse holds every request');
      // `run --wait` rode through the restart on its own.
      assert.match(result.stderr, /control is away/);
      assert.match(result.stderr, /control is back after/);
      assert.ok(backAfterS < 30, `control was back within ${backAfterS.toFixed(1)} s`);
    } finally {
      closeHttp(server);
    }
  });
});
