// A k6 script on two agents through a control restart: the shard that ended before the
// restart keeps its metrics (written with its end), so the control that settles the run
// judges the thresholds on every request sent. Real Redis, chdb, PGlite, HTTP target.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Agent } from '@loadline/agent';
import { saturationLimits } from '@loadline/engine';
import { inspectK6Script } from '@loadline/k6';
import { Control, type ControlConfig } from './control.js';
import {
  adminFetch,
  callApi,
  ended,
  type Json,
  skipWithoutRedis,
  startAgents,
  startTarget,
  stopAll,
  testControlConfig,
  testRedis,
  waitForRunStatus,
} from './testing.js';

const redis = testRedis(process.env.REDIS_URL);
const skip = await skipWithoutRedis(redis);

let control: Control;
let authed: typeof fetch = fetch;
let config: ControlConfig;
let agents: Agent[] = [];
let server: http.Server;
let target = '';
let served = 0;

const api = (method: string, path: string, body?: unknown) =>
  callApi(control.url, method, path, body, authed);

// Shard 0 holds `long`'s one VU for 6 s; both shards hold one of `short`'s for 1 s, so
// shard 1 ends (and says so) well before control restarts.
const SCRIPT = `import http from 'k6/http';
import { sleep } from 'k6';
export const options = {
  scenarios: {
    long: { executor: 'constant-vus', vus: 1, duration: '6s', gracefulStop: '0s' },
    short: { executor: 'constant-vus', vus: 2, duration: '1s', gracefulStop: '0s' },
  },
  thresholds: { http_req_failed: ['rate==0'], 'http_reqs{scenario:short}': ['count>0'] },
};
export default function () {
  http.get(__ENV.TARGET + '/');
  sleep(0.1);
}
`;

describe('a k6 script on the fleet through a control restart', { skip }, () => {
  before(async () => {
    ({ server, url: target } = await startTarget((_req, res) => {
      served++;
      res.end('ok');
    }));
    config = testControlConfig(redis, 'loadline-k6-fleet-', {
      saturation: saturationLimits({ lateShare: 0.5 }),
    });
    control = await Control.start(config);
    authed = await adminFetch(control);
    agents = await startAgents(redis, control);
  });

  after(() => stopAll(redis, agents, control, server));

  it('a k6 run that never ran (too few agents) ends error with no k6 verdict', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loadline-k6-script-'));
    const entry = join(dir, 'greedy.js');
    writeFileSync(entry, SCRIPT);
    const inspected = await inspectK6Script({
      entry,
      env: { TARGET: target },
      hosts: {},
      allowedHosts: [],
      remoteCacheDir: dir,
      thresholds: true,
      log: () => {},
    });
    assert.ok(!('exitCode' in inspected), JSON.stringify(inspected));
    await inspected.close();
    const scenario = { name: 'k6-greedy', target, agents: 3, k6: inspected.shipped };
    assert.equal(
      (await api('POST', '/scenarios', { source: JSON.stringify(scenario) })).status,
      201,
    );
    const servedBefore = served;
    const created = await api('POST', '/runs', { scenario: 'k6-greedy' });
    const run = await waitForRunStatus(api, created.json.id, ended, 15_000);
    assert.equal(run.status, 'error');
    assert.match(run.abortReason, /asked for 3 agent\(s\), 2 claimed/);
    assert.equal(run.summary.k6, undefined, 'no k6 verdict for a run that never ran');
    assert.equal(served, servedBefore, 'nothing was sent');
  });

  it('keeps the metrics of a shard that ended before the restart: the totals are every request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loadline-k6-script-'));
    const entry = join(dir, 'restart.js');
    writeFileSync(entry, SCRIPT);
    // What `loadline run restart.js` ships: the bundle, and the options its init returns.
    const inspected = await inspectK6Script({
      entry,
      env: { TARGET: target },
      hosts: {},
      allowedHosts: [],
      remoteCacheDir: dir,
      thresholds: true,
      log: () => {},
    });
    assert.ok(!('exitCode' in inspected), JSON.stringify(inspected));
    await inspected.close();
    const scenario = {
      name: 'k6-restart',
      target,
      agents: 2,
      k6: { ...inspected.shipped, entry: 'restart.js', env: { TARGET: target } },
    };
    const saved = await api('POST', '/scenarios', { source: JSON.stringify(scenario) });
    assert.equal(saved.status, 201, JSON.stringify(saved.json));
    const created = await api('POST', '/runs', { scenario: 'k6-restart' });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const id = created.json.id as string;
    await waitForRunStatus(api, id, (s) => s === 'running', 10_000);
    // Shard 1 ends after ~1 s of VUs; control goes away after it and comes back.
    const ended1 = Date.now() + 15_000;
    for (;;) {
      const shards = (await api('GET', `/runs/${id}`)).json.shards as Json[];
      if (shards.some((s) => s.shard === 1 && s.state === 'finished')) break;
      assert.ok(Date.now() < ended1, 'shard 1 never ended');
      await new Promise((r) => setTimeout(r, 100));
    }
    await control.close();
    await new Promise((r) => setTimeout(r, 500));
    control = await Control.start(config);
    authed = await adminFetch(control);
    const run = await waitForRunStatus(api, id, ended, 30_000);
    assert.equal(run.status, 'passed', run.abortReason ?? JSON.stringify(run.summary?.k6));
    const k6 = run.summary.k6;
    assert.equal(k6.exitCode, 0, k6.reason);
    const metrics = k6.summary.metrics;
    assert.equal(metrics.http_reqs.values.count, served, 'every request the target saw');
    assert.ok(metrics['http_reqs{scenario:short}'].values.count >= 4, 'both agents ran short');
    assert.equal(run.summary.total.requests, served, 'and ClickHouse holds them');
  });
});
