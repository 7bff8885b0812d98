// GET /runs/:id/events end to end in one process: real Redis, embedded chdb and PGlite,
// two agents, a real HTTP target; the test reads the stream as a browser would.
import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Agent } from '@loadline/agent';
import { Control } from './control.js';
import {
  adminFetch,
  callApi,
  type Json,
  skipWithoutRedis,
  startAgents,
  startTarget,
  stopAll,
  testControlConfig,
  testRedis,
} from './testing.js';

const redis = testRedis(process.env.REDIS_URL);
const skip = await skipWithoutRedis(redis);

let control: Control;
let authed: typeof fetch = fetch;
let agents: Agent[] = [];
let target = '';
let server: http.Server;

const getJson = async (url: string): Promise<Json> => (await authed(url)).json();

interface SseEvent {
  event: string;
  data: Json;
  receivedAt: number;
}

const post = (path: string, body: unknown) => callApi(control.url, 'POST', path, body, authed);

/** Reads a stream of events until it ends, `until` says stop, or the time is up. */
async function readEvents(
  runId: string,
  options: {
    until?: (e: SseEvent) => boolean;
    timeoutMs?: number;
    onEvent?: (e: SseEvent) => void;
  } = {},
): Promise<{ events: SseEvent[]; ended: boolean; contentType: string | null }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), options.timeoutMs ?? 20_000);
  const response = await authed(`${control.url}/runs/${runId}/events`, { signal: abort.signal });
  const events: SseEvent[] = [];
  let ended = false;
  let buffer = '';
  const decoder = new TextDecoder();
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let cut = buffer.indexOf('\n\n');
      while (cut >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        cut = buffer.indexOf('\n\n');
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event === undefined || data === undefined) continue;
        const parsed = { event, data: JSON.parse(data), receivedAt: Date.now() };
        events.push(parsed);
        options.onEvent?.(parsed);
        if (options.until?.(parsed)) {
          abort.abort();
          return { events, ended, contentType: response.headers.get('content-type') };
        }
      }
    }
    ended = true;
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
  }
  return { events, ended, contentType: response.headers.get('content-type') };
}

describe('GET /runs/:id/events (real Redis, chdb, PGlite)', { skip }, () => {
  before(async () => {
    ({ server, url: target } = await startTarget((_req, res) => res.end('ok')));
    control = await Control.start(testControlConfig(redis, 'loadline-events-'));
    authed = await adminFetch(control);
    agents = await startAgents(redis, control);
  });

  after(() => stopAll(redis, agents, control, server));

  it('answers 404 as problem+json for an unknown run', async () => {
    const response = await authed(`${control.url}/runs/run_nope/events`);
    assert.equal(response.status, 404);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
  });

  it('sends one event a second while a run goes, then a final event, and closes', async () => {
    const source = `name: sse
target: ${target}
agents: 2
load: { rate: 100, duration: 4s }
flows: [{ name: f, steps: [{ name: hit, request: { path: / } }] }]
thresholds: { errors: ["rate<0.01"] }
guardrails: [{ metric: errors, rate: ">0.5", for: 5s }]
`;
    assert.equal((await post('/scenarios', { source })).status, 201);
    const created = await post('/runs', { scenario: 'sse' });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    // Two viewers at once: after their own first events they get the same updates, each
    // computed once for both.
    const [{ events, ended, contentType }, other] = await Promise.all([
      readEvents(created.json.id),
      readEvents(created.json.id),
    ]);
    const updatesAt = (list: SseEvent[]) => list.slice(1).map((e) => e.data.at);
    const shared = updatesAt(other.events).filter((at) => updatesAt(events).includes(at));
    assert.ok(
      shared.length >= 3,
      `updates both viewers got: ${shared.length} of ${other.events.length - 1}`,
    );
    assert.match(contentType ?? '', /^text\/event-stream/);
    assert.ok(ended, 'the server closed the stream after the final event');
    const updates = events.filter((e) => e.event === 'update');
    const last = events.at(-1) as SseEvent;
    assert.equal(last.event, 'end');
    assert.equal(last.data.final, true);
    assert.equal(last.data.status, 'passed');
    assert.equal(events.filter((e) => e.event === 'end').length, 1);
    // A 4 s run plus claim and start delay: one event a second, not a burst.
    assert.ok(updates.length >= 4, `${updates.length} updates`);
    const gaps = updates.slice(1).map((e, i) => e.receivedAt - (updates[i] as SseEvent).receivedAt);
    assert.ok(
      gaps.every((g) => g > 700 && g < 2500),
      `gaps between events: ${gaps.join(', ')} ms`,
    );
    const running = updates.filter((e) => e.data.status === 'running' && e.data.snapshot);
    assert.ok(running.length >= 2, 'live snapshots while running');
    const lastRunning = running.at(-1) as SseEvent;
    assert.equal(lastRunning.data.snapshot.agents.requested, 2);
    assert.equal(lastRunning.data.snapshot.summary.total.histogram, undefined);
    assert.equal(lastRunning.data.snapshot.summary.steps.hit.histogram, undefined);
    assert.ok(lastRunning.data.snapshot.summary.total.requests > 0);
    assert.equal(typeof lastRunning.data.snapshot.summary.total.latencyMs.p99, 'number');
    assert.ok(
      running.some((e) => Array.isArray(e.data.thresholds) && e.data.thresholds.length === 1),
      'live thresholds while running',
    );
    assert.deepEqual(lastRunning.data.snapshot.guardrails, [
      { guardrail: 'errors rate>0.5 for 5s', value: 0, holdingForS: 0, forS: 5 },
    ]);
    // Events carry the newest seconds only (the first one a longer window): folded by
    // second, as the console does, they hold every request of the run, merged.
    const fold = (pick: (data: Json) => Json[] | undefined) => {
      const bySecond = new Map<number, Json>();
      for (const e of events) {
        for (const p of pick(e.data) ?? []) {
          bySecond.set(p.second, { ...bySecond.get(p.second), ...p });
        }
      }
      return [...bySecond.values()];
    };
    const sum = (points: Json[], key: string) =>
      points.reduce((n: number, p: Json) => n + (p[key] ?? 0), 0);
    const points = fold((d) => d.points);
    assert.equal(sum(points, 'requests'), 400);
    assert.ok(points.every((p: Json) => typeof p.p99 === 'number'));
    assert.equal(
      sum(
        fold((d) => d.steps.hit),
        'requests',
      ),
      400,
    );
    const agentIds = new Set(events.flatMap((e) => Object.keys(e.data.agents)));
    assert.deepEqual([...agentIds].sort(), ['agent-1', 'agent-2']);
    const perAgent = [...agentIds].map((id) =>
      sum(
        fold((d) => d.agents[id]),
        'requests',
      ),
    );
    assert.deepEqual(perAgent, [200, 200]);
    // The target of each second is the intended arrivals in it: 100/s over the 4 s.
    const targeted = points.filter((p: Json) => typeof p.target === 'number');
    assert.ok(targeted.length >= 3, `${targeted.length} seconds with a target`);
    assert.ok(targeted.every((p: Json) => p.target >= 0 && p.target <= 100.0001));
    // Every second of the run has its target, the last ones (in the final event) too.
    const targetSum = sum(targeted, 'target');
    assert.ok(
      Math.abs(targetSum - 400) < 1e-6,
      `target sum ${targetSum}: ${JSON.stringify(points.map((p: Json) => [p.second, p.requests, p.target]))}`,
    );

    // The same seconds afterwards, for a finished run's charts.
    const series = async (query: string) =>
      getJson(`${control.url}/runs/${created.json.id}/series${query}`);
    const total = await series('');
    assert.equal(sum(total.series.total, 'requests'), 400);
    const bySteps = await series('?by=step');
    assert.deepEqual(Object.keys(bySteps.series), ['hit']);
    const byAgents = await series('?by=agent');
    assert.deepEqual(Object.keys(byAgents.series).sort(), ['agent-1', 'agent-2']);
    const bad = await authed(`${control.url}/runs/${created.json.id}/series?by=zone`);
    assert.equal(bad.status, 422);
    assert.equal(bad.headers.get('content-type'), 'application/problem+json');
  });

  it('a stopped run ends its stream with status aborted within two seconds', async () => {
    const source = `name: sse-long
target: ${target}
agents: 2
load: { rate: 20, duration: 60s }
flows: [{ name: f, steps: [{ name: s, request: { path: / } }] }]
`;
    await post('/scenarios', { source });
    const created = await post('/runs', { scenario: 'sse-long' });
    let stoppedAt = 0;
    const { events, ended } = await readEvents(created.json.id, {
      onEvent: (e) => {
        if (stoppedAt === 0 && e.data.status === 'running' && e.data.points.length > 0) {
          stoppedAt = Date.now();
          void post(`/runs/${created.json.id}/stop`, {});
        }
      },
    });
    assert.ok(stoppedAt > 0, 'the run was seen running');
    assert.ok(ended);
    const last = events.at(-1) as SseEvent;
    assert.equal(last.data.status, 'aborted');
    assert.match(last.data.abortReason, /stopped by admin/);
    assert.ok(last.receivedAt - stoppedAt < 2500, `${last.receivedAt - stoppedAt} ms after stop`);
  });

  it('checks a launch without creating a run, with the reason when it would be refused', async () => {
    const before = (await getJson(`${control.url}/runs?limit=500`)).runs.length;
    const ok = await post('/runs/check', { scenario: 'sse', overrides: { duration: '2s' } });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.deepEqual(
      {
        ok: ok.json.ok,
        version: ok.json.version,
        environment: ok.json.environment,
        agents: ok.json.agents,
      },
      { ok: true, version: 1, environment: 'local', agents: 2 },
    );
    const badDuration = await post('/runs/check', {
      scenario: 'sse',
      overrides: { duration: 'soon' },
    });
    assert.equal(badDuration.status, 422);
    assert.equal(badDuration.json.errors[0].field, 'overrides.duration');
    await authed(`${control.url}/environments/outside`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ allowedHosts: ['10.9.9.9'] }),
    });
    const refused = await post('/runs/check', { scenario: 'sse', environment: 'outside' });
    assert.equal(refused.status, 422);
    assert.match(refused.json.detail, /not on environment "outside"'s allowlist/);
    const missing = await post('/runs/check', { scenario: 'nope' });
    assert.equal(missing.status, 404);
    const after = (await getJson(`${control.url}/runs?limit=500`)).runs.length;
    assert.equal(after, before, 'no run was created');
  });

  it('filters runs by creation date and refuses a date it cannot read', async () => {
    const all = (await getJson(`${control.url}/runs`)).runs;
    assert.ok(all.length >= 2);
    const future = await getJson(`${control.url}/runs?from=2999-01-01`);
    assert.deepEqual(future.runs, []);
    const past = await getJson(`${control.url}/runs?to=2000-01-01T00:00:00Z`);
    assert.deepEqual(past.runs, []);
    const today = new Date(Date.now() - 3_600_000).toISOString();
    const recent = await getJson(`${control.url}/runs?from=${today}`);
    assert.equal(recent.runs.length, all.length);
    const bad = await authed(`${control.url}/runs?from=yesterday`);
    assert.equal(bad.status, 422);
    assert.match(((await bad.json()) as Json).detail, /from: "yesterday" is not a date/);
  });

  it("lists a scenario's versions", async () => {
    const source = `name: sse-long
target: ${target}
agents: 1
load: { rate: 5, duration: 1s }
flows: [{ name: f, steps: [{ name: s, request: { path: / } }] }]
`;
    assert.equal((await post('/scenarios', { source })).status, 201);
    const body = await getJson(`${control.url}/scenarios/sse-long/versions`);
    assert.deepEqual(
      body.versions.map((v: Json) => v.version),
      [1, 2],
    );
    assert.equal((await authed(`${control.url}/scenarios/nope/versions`)).status, 404);
  });

  it('a finished run gets one final event at once', async () => {
    const created = await post('/runs', { scenario: 'sse' });
    await readEvents(created.json.id);
    const started = Date.now();
    const { events, ended } = await readEvents(created.json.id);
    assert.ok(ended);
    assert.deepEqual(
      events.map((e) => e.event),
      ['end'],
    );
    assert.ok(Date.now() - started < 1000);
  });
});
