import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Registry } from 'prom-client';
import { runInShadow } from './context.js';
import { trafficLabels, withTrafficLabel } from './metrics.js';

describe('traffic label', () => {
  it('lets a production query exclude shadow requests', async () => {
    const registry = new Registry();
    const requests = new Counter({
      name: 'http_requests_total',
      help: 'requests',
      labelNames: withTrafficLabel(['route']),
      registers: [registry],
    });
    requests.inc(trafficLabels({ route: '/order' }));
    requests.inc(trafficLabels({ route: '/order' }));
    runInShadow({ runId: 'r', tag: 't' }, () => requests.inc(trafficLabels({ route: '/order' })));
    const values = (await requests.get()).values.map((v) => [v.labels.traffic, v.value]);
    assert.deepEqual(Object.fromEntries(values), { production: 2, shadow: 1 });
    assert.match(
      await registry.metrics(),
      /http_requests_total\{route="\/order",traffic="production"\} 2/,
    );
  });
});
