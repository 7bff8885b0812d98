// Storage outages against the real stack (Redis, chdb, PGlite, an agent, a target): the
// result store fails its inserts as a full disk would, injected through the store's own
// interface (the real store underneath), never a mock of ClickHouse.
import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Agent } from '@loadline/agent';
import type { ResultStore } from '@loadline/store';
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
let agents: Agent[] = [];
let server: http.Server;
let target = '';
let served = 0;
/** while true, every insert of interval rows fails (the disk is full) */
let diskFull = false;
let failedInserts = 0;

/** The real store, its interval inserts failing while `diskFull`. */
function failingWhenFull(store: ResultStore): ResultStore {
  return new Proxy(store, {
    get(real, property) {
      if (property === 'insertIntervals') {
        return async (...args: Parameters<ResultStore['insertIntervals']>) => {
          if (diskFull) {
            failedInserts++;
            throw new Error('No space left on device');
          }
          return real.insertIntervals(...args);
        };
      }
      const value = Reflect.get(real, property, real);
      return typeof value === 'function' ? value.bind(real) : value;
    },
  });
}

const api = (method: string, path: string, body?: unknown) =>
  callApi(control.url, method, path, body, authed);

/** Until the target hears the run's load (its start comes up to 2 s after `running`). */
async function loadArrives(): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (served === 0) {
    assert.ok(Date.now() < deadline, 'the load reaches the target');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The first event of the run's live stream (what the console's live view reads). */
async function liveEvent(id: string): Promise<Json> {
  const controller = new AbortController();
  const response = await authed(`${control.url}/runs/${id}/events`, { signal: controller.signal });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended: ${text}`);
      text += Buffer.from(value).toString();
      const data = /event: (?:update|end)\ndata: (.*)\n\n/.exec(text)?.[1];
      if (data) return JSON.parse(data);
    }
  } finally {
    controller.abort();
  }
}

function scenario(name: string, rate: number, duration: string): string {
  return `name: ${name}
target: ${target}
agents: 1
load: { rate: ${rate}, duration: ${duration} }
flows: [{ name: f, steps: [{ name: s, request: { path: / } }] }]
`;
}

describe('storage outages (real Redis, chdb, PGlite)', { skip }, () => {
  let config: ControlConfig;

  before(async () => {
    ({ server, url: target } = await startTarget((_req, res) => {
      served++;
      res.end('ok');
    }));
    config = testControlConfig(redis, 'loadline-storage-', {
      wrapStore: failingWhenFull,
      // Each agent sends about one message a second: a small limit, reached in seconds.
      resultsBacklogLimit: 10,
    });
    control = await Control.start(config);
    authed = await adminFetch(control);
    agents = await startAgents(redis, control, 1);
  });

  after(() => stopAll(redis, agents, control, server));

  it('keeps every interval through 4 s of failing inserts, says how far behind it is, and stores them after', async () => {
    await api('POST', '/scenarios', { source: scenario('outage', 50, '8s') });
    served = 0;
    failedInserts = 0;
    const created = await api('POST', '/runs', { scenario: 'outage' });
    const id = created.json.id as string;
    await waitForRunStatus(api, id, (s) => s === 'running', 10_000);
    await loadArrives();
    await new Promise((r) => setTimeout(r, 1500));
    diskFull = true;
    await new Promise((r) => setTimeout(r, 4000));
    // The live view says storage is behind, by about as long as it has been failing.
    const during = await liveEvent(id);
    assert.ok(during.snapshot.storage.backlog > 0, JSON.stringify(during.snapshot.storage));
    assert.ok(during.snapshot.storage.behindS >= 2, JSON.stringify(during.snapshot.storage));
    diskFull = false;
    const run = await waitForRunStatus(api, id, ended, 20_000);
    assert.ok(failedInserts > 0, 'inserts did fail');
    assert.equal(run.status, 'passed', run.abortReason);
    // Nothing lost: what the target counted is what was stored and judged.
    assert.equal(served, 400);
    assert.equal(run.summary.total.requests, served);
    assert.equal(run.live.requests, served, 'ClickHouse holds every request');
    const after = await liveEvent(id);
    assert.equal(after.final, true);
  });

  it('stops the run once too many results wait, before Redis could drop any, and keeps them', async () => {
    await api('POST', '/scenarios', { source: scenario('backlog', 50, '40s') });
    served = 0;
    const created = await api('POST', '/runs', { scenario: 'backlog' });
    const id = created.json.id as string;
    await waitForRunStatus(api, id, (s) => s === 'running', 10_000);
    await loadArrives();
    diskFull = true;
    try {
      // Past 10 waiting results (about 10 s) the run stops: the target hears no more.
      let last = -1;
      let stillSince = Date.now();
      const deadline = Date.now() + 25_000;
      while (Date.now() - stillSince < 2000) {
        assert.ok(Date.now() < deadline, `the agent kept sending (${served} requests)`);
        if (served !== last) {
          last = served;
          stillSince = Date.now();
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.ok(served < 50 * 25, `${served} requests: stopped well before the 40 s end`);
    } finally {
      diskFull = false;
    }
    // Storage back, the run settles from everything the agent delivered.
    const run = await waitForRunStatus(api, id, ended, 20_000);
    assert.equal(run.status, 'aborted');
    assert.match(run.abortReason, /storage is behind: \d+ results wait in Redis \(limit 10\)/);
    assert.equal(run.summary.total.requests, served);
    assert.equal(run.live.requests, served, 'ClickHouse holds every request');
  });
});
