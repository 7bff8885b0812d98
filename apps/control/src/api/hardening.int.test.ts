// What a probe of control found, each answered as it must be now: bounded bodies and
// nesting, exact media types, no NUL, no foreign Host, well-formed paths, bounded launches,
// never Loadline's own servers as a target, every refusal a 4xx naming the field.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { Control } from '../control.js';
import {
  adminFetch,
  callApi,
  type Json,
  skipWithoutRedis,
  startTarget,
  stopAll,
  testControlConfig,
  testRedis,
} from '../testing.js';

const redis = testRedis(process.env.REDIS_URL);
const skip = await skipWithoutRedis(redis);

let control: Control;
let admin: typeof fetch;
let server: http.Server;
let target = '';

const raw = (path: string, init: RequestInit = {}) => admin(`${control.url}${path}`, init);
const post = (path: string, body: unknown) => callApi(control.url, 'POST', path, body, admin);

describe('control against hostile requests (real HTTP)', { skip }, () => {
  before(async () => {
    ({ server, url: target } = await startTarget((_req, res) => res.end('ok')));
    control = await Control.start(testControlConfig(redis, 'loadline-hardening-'));
    admin = await adminFetch(control);
    const source = `name: plain\ntarget: ${target}\nload: { rate: 1, duration: 1s }\nflows: [{ name: f, steps: [{ name: s, request: { path: / } }] }]\n`;
    assert.equal((await post('/scenarios', { source })).status, 201);
  });
  after(() => stopAll(redis, [], control, server));

  it('refuses a body over 10 MB with 413, before reading it all', async () => {
    const response = await raw('/scenarios', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'x'.repeat(10 * 1024 * 1024) }),
    });
    assert.equal(response.status, 413);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
  });

  it('refuses JSON nested deeper than 64 levels, and NUL characters, naming where', async () => {
    const deep = await raw('/scenarios', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"source":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
    });
    assert.equal(deep.status, 400);
    assert.match(((await deep.json()) as Json).detail, /nests over 10000 levels; at most 64/);
    const nul = await post('/schedules', {
      name: 'a\u0000b',
      scenario: 'plain',
      cron: '0 3 * * *',
    });
    assert.equal(nul.status, 422);
    assert.deepEqual(nul.json.errors, [{ field: 'name', message: 'contains a NUL character' }]);
    const query = await raw('/runs?scenario=%00');
    assert.equal(query.status, 422);
  });

  it('takes JSON by its media type, in any case, and nothing else', async () => {
    const body = JSON.stringify({ name: 'mt', scenario: 'plain', cron: '0 3 * * *' });
    for (const type of ['text/plain;charset=json', 'application/x-json-evil', 'text/plain']) {
      const response = await raw('/schedules', {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
      assert.equal(response.status, 415, type);
    }
    const upper = await raw('/schedules', {
      method: 'POST',
      headers: { 'content-type': 'APPLICATION/JSON; charset=UTF-8' },
      body,
    });
    assert.equal(upper.status, 201);
    // A second schedule of the same name is a conflict, not a 500.
    const again = await raw('/schedules', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    assert.equal(again.status, 409);
  });

  it('answers only to its own Host names (DNS rebinding) and refuses broken paths and dates', async () => {
    // fetch sets Host itself: a raw request says what a rebinding page's would.
    const withHost = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const request = http.request(`${control.url}/health`, { headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        request.on('error', reject);
        request.end();
      });
    assert.equal(await withHost('evil.example'), 421);
    assert.equal(await withHost('evil.example:80'), 421);
    assert.equal(await withHost(`localhost:${new URL(control.url).port}`), 200);
    assert.equal(await withHost('127.0.0.1'), 200);
    const percent = await raw('/scenarios/%E0%A4%A/versions');
    assert.equal(percent.status, 400);
    assert.deepEqual(((await percent.json()) as Json).errors, [
      { field: 'name', message: 'not valid %-encoding' },
    ]);
    for (const from of ['-271821-04-20', '+275760-09-13', 'yesterday']) {
      const response = await raw(`/runs?from=${encodeURIComponent(from)}`);
      assert.equal(response.status, 422, from);
      assert.equal(((await response.json()) as Json).errors[0].field, 'from');
    }
  });

  it('bounds what a launch may ask for', async () => {
    for (const [body, field] of [
      [{ scenario: 'plain', agents: 10_000 }, 'agents'],
      [{ scenario: 'plain', overrides: { rateMultiplier: 1e308 } }, 'overrides.rateMultiplier'],
      [{ scenario: 'plain', overrides: { duration: '99999999999999h' } }, 'overrides.duration'],
    ] as const) {
      const check = await post('/runs/check', body);
      assert.equal(check.status, 422, JSON.stringify(body));
      assert.ok(
        check.json.errors.some((e: Json) => e.field === field),
        `${field}: ${JSON.stringify(check.json)}`,
      );
    }
  });

  it("never aims a run at Loadline's own servers, whatever the allowlist", async () => {
    const self = new URL(control.url);
    const source = `name: ouroboros\ntarget: http://localhost:${self.port}\nload: { rate: 1, duration: 1s }\nflows: [{ name: f, steps: [{ name: s, request: { path: /runs } }] }]\n`;
    assert.equal((await post('/scenarios', { source })).status, 201);
    const check = await post('/runs/check', { scenario: 'ouroboros' });
    assert.equal(check.status, 422);
    assert.match(check.json.detail, /Loadline's own http server/);
    const redisPort = new URL(redis.url).port || '6379';
    const atRedis = source
      .replace('ouroboros', 'at-redis')
      .replace(`localhost:${self.port}`, `127.0.0.1:${redisPort}`);
    assert.equal((await post('/scenarios', { source: atRedis })).status, 201);
    const redisCheck = await post('/runs/check', { scenario: 'at-redis' });
    assert.equal(redisCheck.status, 422);
    assert.match(redisCheck.json.detail, /own redis server/);
  });

  it('refuses a leak report whose fields could forge a log line, even signed', async () => {
    const run = await post('/runs', { scenario: 'plain' });
    assert.equal(run.status, 201);
    const path = `/runs/${run.json.id}/leaks`;
    const body = JSON.stringify({
      kind: 'postgres',
      target: 'orders',
      service: 'order\n2026-12-06T00:00:00Z run all clear',
      detail: '',
      at: new Date().toISOString(),
    });
    const { LEAK_SIGNATURE_HEADER, signLeakReport } = await import('@loadline/shadow');
    const forged = await fetch(`${control.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [LEAK_SIGNATURE_HEADER]: signLeakReport({
          secret: control.shadowSecretFor('local'),
          method: 'POST',
          path,
          body,
        }),
      },
      body,
    });
    assert.equal(forged.status, 422);
    const problem = (await forged.json()) as Json;
    assert.equal(problem.errors[0].field, 'service');
    const leaks = await callApi(control.url, 'GET', path, undefined, admin);
    assert.deepEqual(leaks.json.leaks, [], 'nothing recorded');
    await post(`/runs/${run.json.id}/stop`, {});
  });

  it('reads a big corpus line by line: other requests are answered meanwhile', async () => {
    const requests = 60_000;
    const head = {
      meta: {
        version: 1,
        format: 'access-log',
        source: 'big.log',
        importedAt: new Date().toISOString(),
        requests,
        sessions: 1000,
        durationMs: requests,
        skipped: 0,
        skippedReasons: [],
        excluded: {},
        remapped: {},
      },
      mix: {
        total: requests,
        distinct: 1,
        entries: [],
        other: { templates: 0, count: 0, share: 0 },
      },
    };
    const file = join(mkdtempSync(join(tmpdir(), 'loadline-corpus-')), 'big.jsonl');
    const lines = [JSON.stringify(head)];
    for (let i = 0; i < requests; i++) {
      lines.push(
        JSON.stringify({
          offsetMs: i,
          method: 'GET',
          path: `/api/products/${i}?q=${'x'.repeat(400)}`,
          headers: [['accept', 'application/json']],
          sessionKey: `s${i % 1000}`,
          source: { line: i + 1 },
        }),
      );
    }
    writeFileSync(file, `${lines.join('\n')}\n`);
    const token = (await control.issueMachineToken('corpus upload')) as string;
    // The upload comes from another process (curl), so this process's event loop is
    // control's: its longest stall is the longest any request waited for it. A /health
    // probe alone would see a stall only when one happened to be in flight during it.
    const stalls = monitorEventLoopDelay({ resolution: 10 });
    stalls.enable();
    const upload = new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('curl', [
        '-s',
        '-X',
        'POST',
        '-H',
        'content-type: application/jsonl',
        '-H',
        `authorization: Bearer ${token}`,
        '--data-binary',
        `@${file}`,
        `${control.url}/corpora/big/lines`,
      ]);
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.on('close', (code) => resolve({ code, out }));
    });
    let worst = 0;
    let answered = 0;
    let done = false;
    const probing = (async () => {
      while (!done) {
        const started = Date.now();
        if ((await fetch(`${control.url}/health`)).ok) answered++;
        worst = Math.max(worst, Date.now() - started);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const { code, out } = await upload;
    done = true;
    await probing;
    stalls.disable();
    assert.equal(code, 0);
    const stored = JSON.parse(out) as Json;
    assert.equal(stored.requests, requests, out.slice(0, 300));
    const longest = Math.round(stalls.max / 1e6);
    assert.ok(longest < 500, `control's event loop stalled ${longest} ms during the upload`);
    assert.ok(worst < 500, `control answered /health within ${worst} ms during the upload`);
    assert.ok(answered >= 5, `${answered} /health answers during the upload`);
    // And it reads back whole, chunk by chunk.
    const back = await raw('/corpora/big?requests=1');
    const { corpus } = (await back.json()) as { corpus: { requests: Array<{ path: string }> } };
    assert.equal(corpus.requests.length, requests);
    assert.equal(
      corpus.requests[requests - 1]?.path,
      `/api/products/${requests - 1}?q=${'x'.repeat(400)}`,
    );
    // A bad line is named; another media type is refused.
    const bad = await raw('/corpora/bad/lines', {
      method: 'POST',
      headers: { 'content-type': 'application/jsonl' },
      body: `${JSON.stringify({ ...head, meta: { ...head.meta, requests: 1 } })}\n{"method":"GET","path":"//evil/x"}\n`,
    });
    assert.equal(bad.status, 422);
    const problem = (await bad.json()) as Json;
    assert.ok(
      problem.errors.every((e: Json) => e.line === 2 && /^line 2/.test(e.field)),
      JSON.stringify(problem),
    );
    assert.equal((await raw('/corpora/bad', {})).status, 404, 'nothing stored');
    const json = await raw('/corpora/bad/lines', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(json.status, 415);
  });
});
