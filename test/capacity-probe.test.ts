// `loadline capacity probe` with real processes: the demo mall on its own (two catalog
// instances behind its gateway, 20 ms of CPU a request each), a `loadline up` stack, this
// test's bounded live traffic through the gateway, and the CLI following the probe. Whatever
// ends the probe, the gateway's weights must be back as they were: Ctrl-C on the CLI, and
// control killed outright (kill -9) mid-probe, then started again on the same state.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type MallProcess, productReads, spawnDemoMall } from '@loadline/demo-mall/process';
import { cli, UpStack, waitUntil } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'loadline-probe-'));
const stack = new UpStack(join(dir, 'state'));
let mall: MallProcess;
let gateway = '';

const weights = async (): Promise<number[]> =>
  ((await (await fetch(`${gateway}/admin/weights`)).json()) as { catalog: number[] }).catalog;
const shifted = async () => (await weights()).some((w) => w !== 1);

const probeArgs = () => [
  'capacity',
  'probe',
  '--api',
  stack.api,
  '--environment',
  'shop',
  '--service',
  'catalog',
  '--cpu-ceiling',
  '0.45',
  '--levels',
  '6',
  '--hold',
  '5s',
  '--settle',
  '1s',
  '--json',
];

describe('capacity probe: the weights always go back (real processes)', {
  timeout: 240_000,
}, () => {
  before(async () => {
    mall = await spawnDemoMall([
      '--instances',
      'catalog=2',
      '--no-redis',
      '--cost',
      'catalog=20ms',
    ]);
    gateway = mall.gateway;
    const catalog = mall.services.catalog ?? [];
    await stack.start({ agents: 0 });
    const put = await fetch(`${stack.api}/environments/shop`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.token}` },
      body: JSON.stringify({
        allowedHosts: ['127.0.0.1'],
        requiresShadow: false,
        metricsTargets: catalog.map((url) => ({
          service: 'catalog',
          url: `${url}/metrics`,
          cpuMetric: 'demo_cost_cpu_seconds_total',
        })),
        weightDrivers: { catalog: { kind: 'http-json', url: `${gateway}/admin/weights` } },
      }),
    });
    assert.equal(put.status, 200, await put.text());
  });

  after(async () => {
    await stack.stop();
    await mall.stop();
  });

  it('refuses bad input with exit 2, naming the flag, and moves nothing', async () => {
    const ceiling = await cli([...probeArgs(), '--cpu-ceiling', '2']);
    assert.equal(ceiling.code, 2, ceiling.stderr);
    assert.match(ceiling.stderr, /--cpu-ceiling/);
    const instance = await cli([...probeArgs(), '--instance', '5']);
    assert.equal(instance.code, 2, instance.stderr);
    assert.match(instance.stderr, /--instance: .*no instance 5/);
    const service = await cli([...probeArgs(), '--service', 'cart']);
    assert.equal(service.code, 2, service.stderr);
    assert.match(service.stderr, /--service: .*no weightDrivers entry for "cart"/);
    assert.deepEqual(await weights(), [1, 1]);
  });

  it('Ctrl-C stops the probe and the weights are back before the CLI exits (exit 3)', async () => {
    const load = productReads(gateway, 30, 60_000);
    try {
      let child: ChildProcess | undefined;
      const following = cli(probeArgs(), { onStart: (c) => (child = c) });
      await waitUntil('the first weight shift', shifted, 30_000);
      child!.kill('SIGINT');
      const result = await following;
      assert.equal(result.code, 3, result.stderr);
      const probe = JSON.parse(result.stdout);
      assert.equal(probe.status, 'aborted');
      assert.match(probe.reason, /stopped by/);
      assert.ok(probe.restoredAt);
      assert.deepEqual(await weights(), [1, 1]);
    } finally {
      await load.stop();
    }
  });

  it('control killed mid-probe: the weights stay shifted until control is back, then go back', async () => {
    const load = productReads(gateway, 30, 90_000);
    try {
      const following = cli(probeArgs());
      await waitUntil('the first weight shift', shifted, 30_000);
      const during = await weights();
      await stack.kill();
      // Nothing of the dead control put them back: the gateway still has the level's weights.
      await new Promise((r) => setTimeout(r, 1000));
      assert.deepEqual(await weights(), during);
      await stack.start({ agents: 0, samePorts: true });
      await waitUntil('the weights restored', async () => !(await shifted()), 20_000);
      const result = await following;
      assert.equal(result.code, 3, result.stderr);
      const probe = JSON.parse(result.stdout);
      assert.equal(probe.status, 'aborted');
      assert.match(probe.reason, /control went away/);
      assert.ok(probe.restoredAt);
      assert.ok(probe.levels.length >= 1, 'the level measured before the crash is kept');
      assert.match(result.stderr, /control is away/);
    } finally {
      await load.stop();
    }
  });
});
