import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WeightProbe } from '@loadline/api/http';
import { probeBody, summary } from './capacity-probe.js';

const flags = { environment: 'shop', service: 'catalog', cpuCeiling: '0.6' };

describe('capacity probe flags', () => {
  it('become the API body, with its defaults', () => {
    const body = probeBody({ ...flags, sloP99: '50ms', instance: '1', hold: '30s' });
    assert.deepEqual(body.slo, { p99Ms: 50, cpuCeiling: 0.6 });
    assert.equal(body.instance, 1);
    assert.equal(body.hold, '30s');
    assert.equal(body.levels, 8);
    assert.equal(body.maxShare, 0.9);
  });

  it('are refused naming the flag and why', () => {
    const refused = (options: Parameters<typeof probeBody>[0], pattern: RegExp) =>
      assert.throws(() => probeBody(options), pattern);
    refused({ ...flags, environment: undefined }, /--environment: name the environment/);
    refused({ ...flags, cpuCeiling: '1.5' }, /--cpu-ceiling: /);
    refused({ ...flags, cpuCeiling: 'lots' }, /--cpu-ceiling: expected a number, got "lots"/);
    refused({ environment: 'shop', service: 'catalog' }, /--slo-p99\/--cpu-ceiling: an SLO needs/);
    refused({ ...flags, levels: '2' }, /--levels: /);
    refused({ ...flags, hold: 'forever' }, /--hold: /);
    refused({ ...flags, maxShare: '0' }, /--max-share: /);
  });
});

describe('capacity probe summary', () => {
  const probe = (fields: Partial<WeightProbe>): WeightProbe => ({
    id: 'probe_1',
    environment: 'shop',
    service: 'catalog',
    instance: 0,
    instanceUrl: 'http://127.0.0.1:1/metrics',
    input: {},
    status: 'finished',
    originalWeights: [1, 1],
    levels: [],
    redline: null,
    reason: 'done',
    createdBy: 'user:a',
    createdAt: '2026-12-07T00:00:00.000Z',
    endedAt: '2026-12-07T00:01:00.000Z',
    restoredAt: '2026-12-07T00:01:00.000Z',
    ...fields,
  });

  it('says the redline with the levels that bracket it, or a lower bound', () => {
    assert.match(
      summary(probe({ redline: { qps: 22.5, lowerBound: false, by: 'cpu', between: [20, 25] } })),
      /redline of catalog instance 0: 22\.5 QPS by cpu \(held at 20\.0, broke at 25\.0\); weights restored to \[1,1\]/,
    );
    assert.match(
      summary(probe({ redline: { qps: 30, lowerBound: true, by: null } })),
      /at least 30\.0 QPS \(nothing broke: a lower bound\)/,
    );
    assert.match(summary(probe({ restoredAt: null })), /weights NOT yet restored/);
  });
});
