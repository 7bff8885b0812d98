import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flowMix, formatPercent, loadProfile } from './load-profile';
import { keyCompletions } from './scenario-keys';

const labels = (text: string) => keyCompletions(text)?.options.map((o) => o.label);

describe('scenario key completion', () => {
  it('picks the key table from the parent key of the cursor line', () => {
    assert.deepEqual(labels('name: x\nde')?.slice(0, 2), ['name', 'description']);
    assert.ok(labels('load:\n  rate: 40\n  du')?.includes('duration'));
    const step = 'flows:\n  - name: browse\n    steps:\n      - name: list\n';
    assert.ok(labels(`${step}        re`)?.includes('extract'));
    assert.ok(labels(`${step}      - th`)?.includes('think'));
    assert.ok(labels(`${step}        request:\n          pa`)?.includes('json'));
    assert.ok(labels(`${step}        check:\n          st`)?.includes('bodyContains'));
    assert.equal(keyCompletions('load:\n  rate: 4'), undefined, 'not in a value');
    assert.equal(keyCompletions('thresholds:\n  er'), undefined, 'free-form keys');
  });
});

describe('load profile and flow mix', () => {
  it('draws rate, stages and vus', () => {
    assert.deepEqual(loadProfile({ rate: 10, duration: '30s' }), {
      unit: 'req/s',
      times: [0, 30],
      values: [10, 10],
    });
    assert.deepEqual(
      loadProfile({
        startRate: 5,
        stages: [
          { duration: '10s', target: 50 },
          { duration: '1m', target: 50 },
        ],
      }),
      { unit: 'req/s', times: [0, 10, 70], values: [5, 50, 50] },
    );
    assert.deepEqual(loadProfile({ vus: 3, duration: '2s' }).values, [3, 3]);
  });
  it('shares weight between flows', () => {
    const mix = flowMix([
      { name: 'a', weight: 1, steps: [] },
      { name: 'b', weight: 2, steps: [] },
    ]);
    assert.deepEqual(
      mix.map((f) => formatPercent(f.percent)),
      ['33.3%', '66.7%'],
    );
    assert.equal(formatPercent(100), '100%');
  });
});
