// Weight-shift probes against the real demo mall (its own process): each catalog instance
// owns one CPU "core" that works 20 ms of CPU per request, so an instance's CPU is its
// QPS × 0.02 and its redline at a 40 % CPU ceiling is 20 QPS — what the probe must find by
// moving the gateway's weights, with the weights put back however the probe ends.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WeightProbeBody } from '@loadline/api/http';
import { type MallProcess, productReads, spawnDemoMall } from '@loadline/demo-mall/process';
import { MetadataStore } from '@loadline/metadata';
import type { HttpProblem } from './problem.js';
import { WeightProbes } from './weight-probes.js';

const COST_MS = 20;

let mall: MallProcess;
let gateway = '';
let catalog: string[] = [];
let metadata: MetadataStore;
const logs: string[] = [];
const probes = () => new WeightProbes(metadata, { log: (line) => logs.push(line) });

const weights = async (): Promise<number[]> =>
  ((await (await fetch(`${gateway}/admin/weights`)).json()) as { catalog: number[] }).catalog;

const setWeights = (catalog: number[]) =>
  fetch(`${gateway}/admin/weights`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ catalog }),
  });

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const body = (fields: Partial<WeightProbeBody> = {}): WeightProbeBody => ({
  environment: 'shop',
  service: 'catalog',
  instance: 0,
  slo: { cpuCeiling: 0.4 },
  cores: 1,
  levels: 6,
  hold: '4s',
  settle: '1s',
  maxShare: 0.95,
  ...fields,
});

before(async () => {
  mall = await spawnDemoMall([
    '--instances',
    'catalog=2',
    '--no-redis',
    '--cost',
    `catalog=${COST_MS}ms`,
  ]);
  gateway = mall.gateway;
  catalog = mall.services.catalog ?? [];
  metadata = await MetadataStore.open();
  await metadata.migrate();
  const environment = {
    allowedHosts: ['127.0.0.1'],
    requiresShadow: false,
    metricsTargets: catalog.map((url) => ({
      service: 'catalog',
      url: `${url}/metrics`,
      cpuMetric: 'demo_cost_cpu_seconds_total',
    })),
    weightDrivers: { catalog: { kind: 'http-json' as const, url: `${gateway}/admin/weights` } },
  };
  await metadata.upsertEnvironment({ name: 'shop', ...environment });
  await metadata.upsertEnvironment({ name: 'guarded', protected: true, ...environment });
  await metadata.upsertEnvironment({
    name: 'no-driver',
    ...environment,
    weightDrivers: {},
  });
  await metadata.upsertEnvironment({
    name: 'gone',
    ...environment,
    weightDrivers: { catalog: { kind: 'http-json', url: 'http://127.0.0.1:9/admin/weights' } },
  });
});

after(async () => {
  await mall?.stop();
  await metadata?.close();
});

describe('weight-shift capacity probe', () => {
  it("finds one instance's CPU redline on live traffic and puts the weights back", async () => {
    // 30 requests a second: the probed instance carries 15 at an even split (CPU 0.3), 28.5
    // at 95 % of the weight (0.57); its 40 % ceiling is crossed at 20.
    const load = productReads(gateway, 30, 60_000);
    try {
      const runner = probes();
      const started = await runner.start(body(), 'user:test');
      assert.equal(started.status, 'running');
      assert.deepEqual(started.originalWeights, [1, 1]);
      await until(
        'the probe to end and restore',
        async () => (await runner.get(started.id)).restoredAt !== null,
        45_000,
      );
      const ended = await runner.get(started.id);
      assert.equal(ended.status, 'finished', `${ended.reason}\n${logs.join('\n')}`);
      assert.equal(ended.levels[0]!.warmUp, true);
      const [first] = ended.levels;
      assert.ok(Math.abs(first!.qps - 15) < 3, `level 0 carried ${first!.qps}`);
      // The instance's own CPU counter: the 20 ms of CPU a request costs, at every level.
      const cpuPerRequest = first!.cpu / first!.qps;
      assert.ok(
        Math.abs(cpuPerRequest / (COST_MS / 1000) - 1) < 0.15,
        `${cpuPerRequest} s a request`,
      );
      for (const level of ended.levels) {
        assert.ok(
          Math.abs(level.cpu / level.qps - cpuPerRequest) < 0.3 * cpuPerRequest,
          `CPU ${level.cpu} at ${level.qps} QPS`,
        );
      }
      assert.ok(ended.redline, JSON.stringify(ended));
      assert.equal(ended.redline.by, 'cpu');
      assert.equal(ended.redline.lowerBound, false);
      const truth = (0.4 * 1000) / COST_MS;
      assert.ok(
        Math.abs(ended.redline.qps / truth - 1) < 0.15,
        `redline ${ended.redline.qps} QPS, truth ${truth} (${JSON.stringify(ended.levels)})`,
      );
      assert.ok(ended.levels.length < 6, 'it stopped at the confirmed breach, not the last level');
      assert.deepEqual(await weights(), [1, 1]);
    } finally {
      await load.stop();
    }
  });

  it('puts the weights back when stopped mid-level, and refuses a second probe meanwhile', async () => {
    const runner = probes();
    const started = await runner.start(body({ hold: '6s', levels: 6 }), 'user:test');
    await until('the first shift', async () => (await weights())[0] !== 1);
    await assert.rejects(runner.start(body(), 'user:test'), (error: HttpProblem) => {
      assert.equal(error.status, 409);
      assert.match(error.message, new RegExp(`probe ${started.id} is moving "catalog"`));
      return true;
    });
    const stopped = await runner.stop(started.id, 'stopped by test');
    assert.equal(stopped.status, 'aborted');
    assert.equal(stopped.reason, 'stopped by test');
    assert.ok(stopped.restoredAt);
    assert.deepEqual(await weights(), [1, 1]);
    await assert.rejects(runner.stop(started.id, 'again'), /is aborted/);
  });

  it('a guardrail ends it at once, unconfirmed, and the weights go back', async () => {
    // A ceiling of 5 %: the even split's 0.3 is past it by more than the guard's 15 points.
    const load = productReads(gateway, 30, 30_000);
    try {
      const runner = probes();
      const started = await runner.start(
        body({ slo: { cpuCeiling: 0.05 }, hold: '12s' }),
        'user:test',
      );
      await until('the guardrail', async () => (await runner.get(started.id)).restoredAt !== null);
      const ended = await runner.get(started.id);
      assert.match(ended.reason ?? '', /^guardrail at 50 % of the weight: CPU \d+ % > 20 %/);
      assert.ok(ended.levels.length <= 1, 'it did not go on to another level');
      assert.ok(
        Date.parse(ended.endedAt!) - Date.parse(ended.createdAt) < 8000,
        'nor wait for the 12-s level to end',
      );
      assert.deepEqual(await weights(), [1, 1]);
    } finally {
      await load.stop();
    }
  });

  it('ends when the run carrying its traffic ends, weights back', async () => {
    await metadata.saveScenarioVersion('traffic', 'name: traffic', { name: 'traffic' });
    const run = await metadata.createRun({ scenario: 'traffic', environment: 'shop', agents: 1 });
    assert.equal(await metadata.transitionRun(run.id, ['queued'], 'running'), true);
    const runner = probes();
    const started = await runner.start(body({ run: run.id, hold: '30s' }), 'user:test');
    assert.equal(await metadata.transitionRun(run.id, ['running'], 'aborted'), true);
    await until('the probe to end', async () => (await runner.get(started.id)).restoredAt !== null);
    const ended = await runner.get(started.id);
    assert.equal(ended.status, 'aborted');
    assert.equal(ended.reason, `its traffic run ${run.id} ended (aborted)`);
    assert.deepEqual(await weights(), [1, 1]);
    // A run already over carries no traffic: refused before anything moves.
    await assert.rejects(runner.start(body({ run: run.id }), 'user:test'), /is aborted/);
  });

  it('puts back the weights of a probe whose control died (recover)', async () => {
    const row = await metadata.createWeightProbe({
      environment: 'shop',
      service: 'catalog',
      instance: 1,
      instanceUrl: `${catalog[1]}/metrics`,
      input: {},
      driver: { kind: 'http-json', url: `${gateway}/admin/weights` },
      originalWeights: [1, 1],
      createdBy: 'user:test',
    });
    assert.equal((await setWeights([1, 9])).status, 200);
    await probes().recover();
    assert.deepEqual(await weights(), [1, 1]);
    const ended = await metadata.getWeightProbe(row.id);
    assert.equal(ended.status, 'aborted');
    assert.match(ended.reason ?? '', /control went away/);
    assert.ok(ended.restoredAt);
  });

  it('refuses what it cannot do safely, naming why, and changes no weight', async () => {
    const runner = probes();
    const refused = async (input: WeightProbeBody, status: number, pattern: RegExp) =>
      assert.rejects(runner.start(input, 'user:test'), (error: HttpProblem) => {
        assert.equal(error.status, status, error.message);
        assert.match(error.message, pattern);
        return true;
      });
    await refused(body({ environment: 'no-driver' }), 422, /no weightDrivers entry for "catalog"/);
    await refused(body({ instance: 2 }), 422, /2 metricsTarget\(s\).*no instance 2/);
    await refused(body({ environment: 'guarded' }), 409, /protected/);
    await refused(body({ environment: 'gone' }), 502, /127\.0\.0\.1:9/);
    await refused(body({ maxShare: 0.4 }), 422, /already has 50 %/);
    await refused(body({ run: 'run_nope' }), 404, /no run run_nope/);
    assert.deepEqual(await weights(), [1, 1]);
    assert.equal((await metadata.unrestoredWeightProbes()).length, 0);
  });
});
