// `loadline capacity validate`: a plan for the demo mall is checked by scaling the mall to
// it and driving the forecast through the scenario's flows. A plan whose SLOs the mall can
// keep holds (exit 0); the same plan against an SLO no service can keep does not (exit 1).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cli, MALL_CALL_RATIOS, mallEntryFlows } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'loadline-validate-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

/** Measurements of a mall whose machines break their SLO between 500 and 600 QPS. */
function measurements(sloP99Ms: number): string {
  const ramp = [100, 200, 300, 400, 500, 600].map((qps, i) => ({
    qps,
    p99Ms: [5, 6, 8, 12, 40, 4000][i],
    cpu: qps / 1000,
  }));
  const services = Object.fromEntries(
    Object.keys(MALL_CALL_RATIOS).map((s) => [s, { cores: 1, slo: { p99Ms: sloP99Ms }, ramp }]),
  );
  const fanout = Array.from({ length: 40 }, (_, i) => {
    const list = 20 + (i % 7) * 5;
    const add = 5 + (i % 5) * 3;
    return {
      entries: { list, add },
      calls: Object.fromEntries(
        Object.entries(MALL_CALL_RATIOS).map(([s, r]) => [s, r.list * list + r.add * add]),
      ),
    };
  });
  return JSON.stringify({ run: 'hand-measured', services, fanout });
}

const scenario = file(
  'mall.yaml',
  `name: mall-entries
target: http://127.0.0.1:1
load: { rate: 1, duration: 1s }
${mallEntryFlows()}`,
);
const forecast = file(
  'forecast.yaml',
  'entries: { list: 30, add: 10 }\nutilisation: 0.6\nredundancy: { default: 1 }\n',
);

async function model(name: string, sloP99Ms: number): Promise<string> {
  const out = join(dir, `${name}.json`);
  const fitted = await cli([
    'capacity',
    'fit',
    '--from',
    file(`${name}-measured.json`, measurements(sloP99Ms)),
    '--out',
    out,
  ]);
  assert.equal(fitted.code, 0, fitted.stderr);
  return out;
}

describe('loadline capacity validate', { timeout: 120_000 }, () => {
  it('holds a plan the scaled mall can carry, and says which service fails one it cannot', async () => {
    const kept = await cli([
      'capacity',
      'validate',
      '--model',
      // Generous: this checks scaling, load and verdicts, not this busy machine's latency.
      await model('generous', 1000),
      '--forecast',
      forecast,
      '--scenario',
      scenario,
      '--duration',
      '5s',
      '--json',
    ]);
    assert.equal(kept.code, 0, kept.stderr + kept.stdout);
    const held = JSON.parse(kept.stdout);
    assert.equal(held.held, true);
    assert.ok(held.requests >= 150, `${held.requests} requests`);
    assert.ok(held.errorRate < 0.01);
    // 30 list/s × 2 + 10 add/s × 2 = 80 QPS at the gateway: one machine plus one spare
    assert.equal(held.instances.catalog, 2);
    assert.ok(held.services.every((s: { held: boolean }) => s.held));
    // Each backend's measured CPU beside what the model's CPU line predicted at its load.
    const catalog = held.services.find((s: { service: string }) => s.service === 'catalog');
    assert.ok(catalog.predictedQpsPerInstance > 0 && catalog.measuredQpsPerInstance > 0);
    assert.ok(
      catalog.predictedCpu > 0 && Number.isFinite(catalog.cpuError),
      JSON.stringify(catalog),
    );

    // The same plan, judged against a catalog SLO no machine keeps (0.01 ms).
    const generous = JSON.parse(readFileSync(join(dir, 'generous.json'), 'utf8'));
    for (const service of generous.services) {
      if (service.service === 'catalog') service.slo = { p99Ms: 0.01 };
    }
    const strictModel = file('strict.json', JSON.stringify(generous));
    const strict = await cli([
      'capacity',
      'validate',
      '--model',
      strictModel,
      '--forecast',
      forecast,
      '--scenario',
      scenario,
      '--duration',
      '4s',
    ]);
    assert.equal(strict.code, 1, strict.stderr + strict.stdout);
    assert.match(strict.stdout, /^NOT HELD/);
    assert.match(strict.stdout, /FAIL catalog/);

    const bad = await cli(['capacity', 'validate', '--model', join(dir, 'generous.json')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--forecast: required/);
  });
});
