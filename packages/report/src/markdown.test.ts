import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planFromModel } from '@loadline/capacity';
import { SAMPLE_FORECAST, samplePlan } from '@loadline/capacity/testing';
import { planToMarkdown } from './markdown.js';

describe('planToMarkdown', () => {
  it('GOLDEN: states the machine counts, the bottleneck and each binding limit', async () => {
    const { model, plan } = await samplePlan();
    const md = planToMarkdown(plan, model);
    assert.match(md, /^# Capacity plan\n/);
    assert.match(md, /\*\*16 machines\*\* across 2 services/);
    assert.match(md, /Bottleneck: \*\*cart\*\* \(headroom 0\.7%\)/);
    assert.match(md, /cart: 2833 QPS per machine \(slo limit: p99 latency, 4 cores\)/);
    assert.match(md, /payment: 1758 QPS per machine \(knee limit: CPU, 2 cores\)/);
    // Service rows: required, capacity, spares, machines.
    assert.match(md, /\| cart \| 13,507 \| 2,833 \| no \| slo \| 2 \| 10 \| 0\.7% \|/);
    assert.match(md, /\| payment \| 2,401 \| 1,758 \| no \| knee \| 3 \| 6 \| 31\.8% \|/);
    assert.match(md, /Nothing is unmet\./);
    for (const name of ['Services', 'Ratios', 'What-ifs', 'Unmet', 'Measurements'])
      assert.match(md, new RegExp(`^## ${name}$`, 'm'));
    assert.doesNotMatch(md, /\n\n\n/);
  });

  it('lists what is unmet, escaping pipes in reasons', async () => {
    const { model } = await samplePlan();
    const plan = planFromModel(model, {
      ...SAMPLE_FORECAST,
      entries: { ...SAMPLE_FORECAST.entries, 'search|beta': 10 },
    });
    const md = planToMarkdown(plan, model);
    assert.match(md, /\*\*1 unmet\*\*/);
    assert.match(md, /\| — \| entry kind search\\\|beta is forecast but has no fan-out ratios/);
  });

  it('without a model, shows the plan alone', async () => {
    const { plan } = await samplePlan();
    const md = planToMarkdown(plan);
    assert.match(md, /\*\*16 machines\*\*/);
    assert.doesNotMatch(md, /## Ratios|## Measurements/);
  });
});
