// Live rate control, for real: control and two agents on Redis, a target that notes when each
// request arrives. PATCH /runs/ID doubles a running run's rate; both agents switch at the same
// instant within a second, the change is on the run's timeline, and the environment's maxRate
// refuses what would plan more (a launch or a change), as does a caller who may not launch.
import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Agent } from '@loadline/agent';
import { Control } from './control.js';
import {
  adminFetch,
  bearerFetch,
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

describe('live rate control', { skip, timeout: 90_000 }, () => {
  let control: Control | undefined;
  let agents: Agent[] = [];
  let server: http.Server;
  let target = '';
  let authed: typeof fetch = fetch;
  /** when each request reached the target (this process's clock: control's too) */
  const arrivals: number[] = [];
  const api = (method: string, path: string, body?: unknown, as = authed) =>
    callApi(control!.url, method, path, body, as);

  before(async () => {
    ({ server, url: target } = await startTarget((_req, res) => {
      arrivals.push(Date.now());
      res.end('ok');
    }));
    control = await Control.start(testControlConfig(redis, 'loadline-rate-'));
    authed = await adminFetch(control);
    agents = await startAgents(redis, control, 2);
    const env = await api('PUT', '/environments/capped', {
      allowedHosts: ['127.0.0.0/8'],
      requiresShadow: false,
      maxRate: 300,
    });
    assert.equal(env.status, 200, JSON.stringify(env.json));
    assert.equal(env.json.maxRate, 300);
  });

  after(() => stopAll(redis, agents, control, server));

  const scenario = (name: string, rate: number, duration = '6s') => `name: ${name}
target: ${target}
environment: capped
agents: 2
load: { rate: ${rate}, duration: ${duration} }
flows: [{ name: f, steps: [{ name: s, request: { path: / } }] }]
`;

  it('doubles a running run on every agent within a second, on its timeline', async () => {
    assert.equal((await api('POST', '/scenarios', { source: scenario('live', 100) })).status, 201);
    const created = await api('POST', '/runs', { scenario: 'live' });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const id = created.json.id as string;
    await waitForRunStatus(api, id, (s) => s === 'running', 10_000);
    while (arrivals.length === 0) await new Promise((r) => setTimeout(r, 10));
    const startAt = arrivals[0] as number;
    // Two seconds into the load.
    await new Promise((r) => setTimeout(r, Math.max(0, startAt + 2000 - Date.now())));

    const changed = await api('PATCH', `/runs/${id}`, { rateMultiplier: 2 });
    assert.equal(changed.status, 200, JSON.stringify(changed.json));
    assert.equal(changed.json.rateMultiplier, 2);
    assert.equal(changed.json.peakRate, 200);
    const atMs = changed.json.atMs as number;
    assert.ok(atMs - Date.now() < 1000, 'takes effect within a second');

    const over = await api('PATCH', `/runs/${id}`, { rateMultiplier: 4 });
    assert.equal(over.status, 422);
    assert.match(over.json.detail, /caps the fleet at 300\/s \(maxRate\); this would plan 400\/s/);
    const bad = await api('PATCH', `/runs/${id}`, { rateMultiplier: -1 });
    assert.equal(bad.status, 422);

    const done = await waitForRunStatus(api, id, ended, 30_000);
    assert.equal(done.status, 'passed', done.abortReason);
    // The second before the change went at 100/s, the second after at 200/s (both agents).
    const inWindow = (from: number, to: number) =>
      arrivals.filter((t) => t >= from && t < to).length;
    const before = inWindow(atMs - 1050, atMs - 50);
    const afterChange = inWindow(atMs + 50, atMs + 1050);
    // (± 15 %: arrival times are read by this process's own event loop, on a shared machine)
    assert.ok(Math.abs(before - 100) <= 15, `before the change: ${before}/s`);
    assert.ok(Math.abs(afterChange - 200) <= 30, `after the change: ${afterChange}/s`);
    // In all: 100/s until the change, 200/s after it, to the end of the 6 s.
    const untilChangeS = (atMs - startAt) / 1000;
    const expected = 100 * untilChangeS + 200 * (6 - untilChangeS);
    // Each agent switches when its timer fires: a few ms late costs a request or two.
    assert.ok(Math.abs(arrivals.length - expected) <= 6, `${arrivals.length} vs ${expected}`);
    assert.equal(done.summary.total.requests, arrivals.length);

    const { json: detail } = await api('GET', `/runs/${id}`);
    assert.equal(detail.rateMultiplier, 2);
    assert.deepEqual(
      detail.rateChanges.map((c: Json) => [c.atMs, c.rateMultiplier]),
      [[atMs, 2]],
    );
    assert.match(detail.rateChanges[0].changedBy, /\S/);
    const ended409 = await api('PATCH', `/runs/${id}`, { rateMultiplier: 1 });
    assert.equal(ended409.status, 409);
  });

  it('refuses a launch over the cap, a closed model under a cap, and a caller who may not launch', async () => {
    assert.equal(
      (await api('POST', '/scenarios', { source: scenario('too-fast', 400) })).status,
      201,
    );
    const refused = await api('POST', '/runs', { scenario: 'too-fast' });
    assert.equal(refused.status, 422);
    assert.match(refused.json.detail, /maxRate/);
    const closed = `name: users
target: ${target}
environment: capped
load: { vus: 2, duration: 2s }
flows: [{ name: f, steps: [{ name: s, request: { path: / } }] }]
`;
    assert.equal((await api('POST', '/scenarios', { source: closed })).status, 201);
    const closedRefused = await api('POST', '/runs', { scenario: 'users' });
    assert.equal(closedRefused.status, 422);
    assert.match(closedRefused.json.detail, /closed model/);

    const viewer = await api('POST', '/tokens', { role: 'viewer', name: 'watcher' });
    assert.equal(viewer.status, 201, JSON.stringify(viewer.json));
    assert.equal(
      (await api('POST', '/scenarios', { source: scenario('slow', 20, '20s') })).status,
      201,
    );
    const run = await api('POST', '/runs', { scenario: 'slow' });
    await waitForRunStatus(api, run.json.id, (s) => s === 'running', 10_000);
    const denied = await api(
      'PATCH',
      `/runs/${run.json.id}`,
      { rateMultiplier: 2 },
      bearerFetch(viewer.json.token),
    );
    assert.equal(denied.status, 403);
    assert.equal((await api('POST', `/runs/${run.json.id}/stop`)).status, 202);
    await waitForRunStatus(api, run.json.id, ended, 15_000);
  });

  it('refuses a run larger than its agents carry, naming how many it needs', async () => {
    // An agent that said it carries 50/s (loadline bench --save-capacity on its machine).
    const token = await control!.issueAgentToken('a small agent');
    const small = await Agent.start({
      redisUrl: redis.url,
      namespace: redis.namespace,
      agentId: 'small-agent',
      enroll: { api: control!.url, token },
      capacityRps: 50,
    });
    agents.push(small);
    const listed = await api('GET', '/agents');
    assert.equal(
      listed.json.agents.find((a: Json) => a.agentId === 'small-agent')?.capacityRps,
      50,
    );
    // 200/s over 2 agents is 100/s each; the weakest carries 50/s, planned at 80 %: 5 agents.
    assert.equal((await api('POST', '/scenarios', { source: scenario('big', 200) })).status, 201);
    const refused = await api('POST', '/runs', { scenario: 'big' });
    assert.equal(refused.status, 422, JSON.stringify(refused.json));
    assert.match(
      refused.json.detail,
      /plans 200\/s at its peak.*it needs 5 agents, not 2 \(--agents 5\)/,
    );
    assert.deepEqual(
      refused.json.errors.map((e: Json) => e.field),
      ['agents'],
    );
    const check = await api('POST', '/runs/check', { scenario: 'big', agents: 5 });
    assert.equal(check.status, 200, JSON.stringify(check.json));
  });
});
