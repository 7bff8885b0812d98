// End to end: `loadline run SCRIPT.js` on the fleet — `loadline up` with two agents, each
// running its share of every scenario from control's start signal; thresholds judged by
// control on both agents' metrics merged; k6's exit codes from `--wait`.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { k6ResultOf } from './k6/result.js';
import { startStandIn } from './k6/stand-in.js';
import { cli, root, UpStack } from './support.js';

const scripts = join(import.meta.dirname, 'k6', 'scripts');
const dir = mkdtempSync(join(tmpdir(), 'loadline-k6-fleet-'));
const stack = new UpStack(join(dir, 'state'));
let standIn: Awaited<ReturnType<typeof startStandIn>>;

async function runDetail(runId: string) {
  const response = await fetch(`${stack.api}/runs/${runId}`, {
    headers: { authorization: `Bearer ${stack.token}` },
  });
  return (await response.json()) as {
    status: string;
    abortReason: string | null;
    live: { requests: number };
    shards: Array<{ agentId: string; state: string; requests: number }>;
  };
}

function runOnFleet(script: string, ...args: string[]) {
  return runOnFleetWith({}, script, ...args);
}

function runOnFleetWith(options: Parameters<typeof cli>[1], script: string, ...args: string[]) {
  return cli(
    [
      'run',
      join(scripts, script),
      '--api',
      stack.api,
      '--agents',
      '2',
      '--wait',
      '--host',
      `httpbin.test.k6.io=127.0.0.1:${standIn.port}`,
      ...args,
    ],
    options,
  );
}

describe('loadline run SCRIPT.js on the fleet (k6 scripts)', { timeout: 180_000 }, () => {
  before(async () => {
    standIn = await startStandIn();
    await stack.start({ agents: 2 });
  });
  after(async () => {
    await stack.stop();
    await standIn.close();
  });

  it('splits every scenario across two agents; setup once; thresholds on merged metrics; rows stored', async () => {
    const summaryFile = join(dir, 'fleet-summary.json');
    const before = standIn.received().total;
    const result = await runOnFleet('fleet.js', '-e', `SUMMARY_FILE=${summaryFile}`, '--json');
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const out = k6ResultOf(result.stdout);
    assert.equal(out.exitCode, 0);
    assert.equal(out.status, 'passed');
    const m = out.summary.metrics;
    assert.equal(m.iterations?.values.count, 50, '20 shared iterations + 10/s for 3 s');
    assert.equal(m['http_reqs{scenario:shared}']?.values.count, 20);
    assert.equal(m['http_reqs{scenario:steady}']?.values.count, 30);
    assert.equal(m.setup_runs?.values.count, 1, 'setup() ran on one agent');
    assert.equal(m.checks?.values.passes, 100, "both agents got setup()'s data and the file");
    assert.equal(m.checks?.values.fails, 0);
    assert.equal(standIn.received().total - before, 51, "50 iterations and setup()'s request");
    // handleSummary ran here, on the merged summary.
    assert.deepEqual(JSON.parse(readFileSync(summaryFile, 'utf8')), {
      iterations: 50,
      checks: 100,
    });
    // Both agents ran a share, and their rows are stored as any run's.
    const run = await runDetail(out.runId ?? '');
    // setup() runs after the start, so its request is stored too.
    assert.equal(run.live.requests, 51, 'ClickHouse holds every request');
    assert.equal(run.shards.length, 2);
    assert.notEqual(run.shards[0]?.agentId, run.shards[1]?.agentId);
    assert.deepEqual(
      run.shards.map((s) => [s.state, s.requests]),
      [
        ['finished', 26],
        ['finished', 25],
      ],
      "k6's striping: half of each scenario per agent, and setup() on shard 0",
    );
  });

  it('runs the demo k6 script against the demo mall, as `loadline up` suggests', async () => {
    const result = await cli([
      'run',
      join(root, 'scenarios', 'demo-k6-mall.js'),
      '--api',
      stack.api,
      '--agents',
      '2',
      '--wait',
      '--json',
      '-e',
      `MALL=${stack.demo}`,
    ]);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const out = k6ResultOf(result.stdout);
    assert.equal(out.status, 'passed');
    // 10/s rising to 40/s over 5 s, then 40/s for 10 s: 525 iterations, two requests each.
    assert.ok(Math.abs((out.summary.metrics.iterations?.values.count ?? 0) - 525) <= 2);
    assert.equal(out.summary.metrics.checks?.values.rate, 1);
  });

  it('abortOnFail on the merged metrics stops both agents: 99', async () => {
    const started = Date.now();
    const result = await runOnFleet('outcomes.js', '-e', 'OUTCOME=abort-on-fail', '--json');
    assert.equal(result.code, 99, result.stderr + result.stdout);
    const out = k6ResultOf(result.stdout);
    assert.match(out.reason ?? '', /http_req_failed.*abortOnFail|abortOnFail/);
    assert.equal(out.status, 'aborted');
    assert.ok(Date.now() - started < 20_000, 'ended well before its 30 s');
    const run = await runDetail(out.runId ?? '');
    assert.equal(run.shards.length, 2);
    for (const shard of run.shards) assert.ok(shard.requests > 0, 'both agents sent');
  });

  it('exec.test.abort() on one agent ends the run on both: 108', async () => {
    const result = await runOnFleet('outcomes.js', '-e', 'OUTCOME=test-abort', '--json');
    assert.equal(result.code, 108, result.stderr + result.stdout);
    const out = k6ResultOf(result.stdout);
    assert.match(out.reason ?? '', /enough/);
  });

  it('setup() failing on shard 0 ends the run on both agents: 107, naming the error', async () => {
    const result = await runOnFleet('outcomes.js', '-e', 'OUTCOME=setup-throw', '--json');
    assert.equal(result.code, 107, result.stderr + result.stdout);
    const out = k6ResultOf(result.stdout);
    assert.match(out.reason ?? '', /broken in setup/);
    const run = await runDetail(out.runId ?? '');
    assert.equal(run.status, 'aborted');
    assert.deepEqual(
      run.shards.map((s) => s.state),
      ['failed', 'failed'],
    );
  });

  it('thresholds crossed: 99; bad options are refused before anything is sent: 104', async () => {
    const crossed = await runOnFleet('outcomes.js', '-e', 'OUTCOME=thresholds');
    assert.equal(crossed.code, 99, crossed.stderr + crossed.stdout);
    const before = standIn.received().total;
    const bad = await runOnFleet('outcomes.js', '-e', 'OUTCOME=bad-options');
    assert.equal(bad.code, 104, bad.stderr);
    assert.equal(standIn.received().total, before);
  });

  it('Ctrl-C stops the run on every agent: 105, with the summary of what ran', async () => {
    const started = Date.now();
    const result = await runOnFleetWith(
      // Late enough that the VUs run (after the launch, the start and setup()'s word).
      { onStart: (child) => setTimeout(() => child.kill('SIGINT'), 7000) },
      'outcomes.js',
      '-e',
      'OUTCOME=long',
      '--json',
    );
    assert.equal(result.code, 105, result.stderr + result.stdout);
    const out = k6ResultOf(result.stdout);
    assert.equal(out.status, 'aborted');
    assert.ok((out.summary.metrics.iterations?.values.count ?? 0) > 0);
    assert.ok(Date.now() - started < 20_000, 'a 30 s run stopped');
  });

  it("says INVALID (5) when the agents' runners could not keep up, never a result that looks fine", async () => {
    // 100 ms of CPU per iteration at 25 a second on each agent: 2.5 s of work each second.
    const result = await runOnFleet(
      'outcomes.js',
      '-e',
      'OUTCOME=saturate',
      '-e',
      'BUSY_MS=100',
      '--json',
    );
    assert.equal(result.code, 5, result.stderr + result.stdout);
    const out = k6ResultOf(result.stdout);
    assert.equal(out.status, 'invalid');
    assert.match(out.reason ?? '', /INVALID/);
  });

  it('a target the environment does not allow is refused by control: 104, as with --local', async () => {
    const result = await runOnFleet('basics.js', '--target', 'http://192.0.2.1/');
    assert.equal(result.code, 104, result.stderr);
    assert.match(result.stderr, /allowlist/);
  });
});
