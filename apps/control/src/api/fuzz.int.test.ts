// Property-based hostility against every write route of control's real HTTP API, signed in
// as an admin (so refusals come from the input, not from access): malformed JSON, wrong
// types, missing and unknown fields, huge and NUL-laden strings, deep nesting, prototype
// keys, wrong media types. Whatever comes, no 5xx, every refusal is a problem naming the
// field, control stays healthy, and nothing stored before is lost or changed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { controlApi, type RouteContract } from '@loadline/api/http';
import fc from 'fast-check';
import { Control } from '../control.js';
import {
  adminFetch,
  type Json,
  skipWithoutRedis,
  startTarget,
  stopAll,
  testControlConfig,
  testRedis,
} from '../testing.js';

const redis = testRedis(process.env.REDIS_URL);
const skip = await skipWithoutRedis(redis);

/** FUZZ_SEED=n explores other bodies; without it every run sends the same ones. */
const BASE_SEED = Number(process.env.FUZZ_SEED ?? 20261206);
const seedOf = (name: string) =>
  [...name].reduce((seed, c) => (seed * 31 + c.charCodeAt(0)) | 0, BASE_SEED);

/** How many bodies each write route gets: the whole suite sends well over 1,000. */
const RUNS_PER_ROUTE = 40;

let control: Control;
let admin: typeof fetch;
let server: Awaited<ReturnType<typeof startTarget>>['server'];
let target = '';

/** A body each write route accepts, to mutate one field at a time. */
function validBodies(): Partial<Record<keyof typeof controlApi, unknown>> {
  const source = `name: fz-seed\ntarget: ${target}\nload: { rate: 1, duration: 1s }\nflows: [{ name: f, steps: [{ name: s, request: { path: / } }] }]\n`;
  return {
    putEnvironment: { allowedHosts: ['127.0.0.1'], requiresShadow: false, protected: false },
    saveScenario: { source },
    launchRun: { scenario: 'seed', agents: 1, overrides: { duration: '1s' } },
    checkRun: { scenario: 'seed', agents: 1, overrides: { rateMultiplier: 2 } },
    reportLeak: {
      kind: 'postgres',
      target: 'orders',
      service: 's',
      detail: '',
      at: '2026-01-01T00:00:00Z',
    },
    createSchedule: { name: 'fz-sch', scenario: 'seed', cron: '0 3 * * *', timezone: 'UTC' },
    pauseSchedule: { paused: true },
    saveCorpus: { name: 'fz-corpus', corpus: { meta: {}, mix: [], requests: [] } },
    fitCapacity: { runs: ['run_x'] },
    planCapacity: { model: {}, forecast: {} },
    signIn: { username: 'admin', password: 'x' },
    tokenSignIn: { username: 'admin', password: 'x', expires: '1d' },
    changePassword: { current: 'x', next: 'y' },
    putUser: { role: 'viewer', environments: [], password: 'correct horse battery staple' },
    createToken: { role: 'viewer', expires: '1d' },
    approveRun: { reason: 'ok' },
    refuseRun: { reason: 'no' },
    approveSchedule: {},
    refuseSchedule: { reason: 'no' },
    putSecret: { value: 'v' },
    enrollAgent: { agentId: 'a', host: 'h', version: '1' },
  };
}

const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.constantFrom(
    '',
    '\0',
    'a\0b',
    '\r\nX-Injected: 1',
    '../../etc/passwd',
    '%00',
    '${secrets.X}',
    '__proto__',
    '1e308',
    '-271821-04-20',
    '*/1 * * * * *',
    '0 0 31 2 *',
    'x'.repeat(70_000),
  ),
);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  hostileString,
  fc.constantFrom(null, -1, 0, 1e308, -1e308, 10_000, 2 ** 53, true, [], {}),
  fc.dictionary(
    fc.constantFrom('__proto__', 'constructor', 'prototype', 'x'),
    fc.jsonValue({ maxDepth: 2 }),
  ),
);

/** A body: a valid one with one field dropped, replaced or added, or something else entirely. */
function bodyFor(valid: unknown): fc.Arbitrary<unknown> {
  const mutations: fc.Arbitrary<unknown>[] = [hostileValue];
  if (valid && typeof valid === 'object') {
    const keys = Object.keys(valid);
    if (keys.length > 0) {
      mutations.push(
        fc.record({ key: fc.constantFrom(...keys), value: hostileValue }).map(({ key, value }) => ({
          ...(valid as object),
          [key]: value,
        })),
        fc.constantFrom(...keys).map((key) => {
          const { [key]: _dropped, ...rest } = valid as Record<string, unknown>;
          return rest;
        }),
      );
    }
    mutations.push(
      fc.record({ key: hostileString, value: hostileValue }).map(({ key, value }) => ({
        ...(valid as object),
        [key]: value,
      })),
    );
  }
  return fc.oneof(...mutations);
}

/** Raw requests that are not JSON bodies at all. */
const rawBodies = fc.oneof(
  fc.record({ type: fc.constant('application/json'), text: fc.string() }),
  fc.record({
    type: fc.constantFrom(
      'text/plain',
      'text/plain;charset=json',
      'application/x-json-evil',
      'multipart/form-data',
      '',
    ),
    text: fc.constant('{}'),
  }),
  fc.record({
    type: fc.constant('application/json'),
    text: fc.constant(`${'['.repeat(5000)}${']'.repeat(5000)}`),
  }),
  fc.record({ type: fc.constant('application/json'), text: fc.constant('{"a":"\\u0000"}') }),
);

function pathOf(route: RouteContract, name: string): string {
  return route.path.replace(/:(\w+)/g, (_, param: string) =>
    param === 'name' && route.path.startsWith('/environments')
      ? 'fz-env'
      : encodeURIComponent(name),
  );
}

/** Checks one answer: never 5xx; a refusal is a problem that names what it refused. */
async function judge(where: string, response: Response): Promise<void> {
  const text = await response.text();
  assert.ok(response.status < 500, `${where} → ${response.status}: ${text.slice(0, 300)}`);
  if (response.status < 400) return;
  assert.equal(response.headers.get('content-type'), 'application/problem+json', where);
  const problem = JSON.parse(text) as Json;
  assert.equal(problem.status, response.status, where);
  assert.ok(typeof problem.detail === 'string' && problem.detail.length > 0, `${where}: no detail`);
  assert.ok(
    !/\bselect\b.*\bfrom\b|\binsert into\b|failed query|\n\s+at .*:\d+:\d+/i.test(text),
    `${where}: internals in ${text.slice(0, 300)}`,
  );
  if (response.status === 422) {
    assert.ok(
      Array.isArray(problem.errors) && problem.errors.length > 0,
      `${where}: 422 without errors: ${text.slice(0, 300)}`,
    );
    for (const e of problem.errors) {
      assert.equal(typeof e.message, 'string', where);
      assert.ok(
        typeof e.field === 'string' || typeof e.path === 'string',
        `${where}: an error names no field`,
      );
    }
  }
}

/** Runs that existed before the fuzzing: they must stay as they were (new ones may come). */
const seededRuns = new Set<string>();

/** What must survive the fuzzing untouched. */
async function snapshot(): Promise<string> {
  const read = async (path: string) => (await admin(`${control.url}${path}`)).json();
  const runs = (await read('/runs?scenario=seed&limit=500')) as Json;
  runs.runs = runs.runs.filter((r: Json) => seededRuns.has(r.id));
  return JSON.stringify({
    environments: ((await read('/environments')) as Json).environments.filter((e: Json) =>
      ['local', 'seeded'].includes(e.name),
    ),
    scenario: await read('/scenarios/seed'),
    runs: runs.runs.map((r: Json) => [r.id, r.status, r.options]),
    schedules: ((await read('/schedules')) as Json).schedules.filter(
      (s: Json) => s.name === 'seed-nightly',
    ),
    users: ((await read('/users')) as Json).users.filter((u: Json) => u.name === 'admin'),
  });
}

describe('fuzzing the control API (real HTTP, signed in)', { skip, timeout: 600_000 }, () => {
  let before_ = '';
  before(async () => {
    ({ server, url: target } = await startTarget((_req, res) => res.end('ok')));
    control = await Control.start(
      testControlConfig(redis, 'loadline-fuzz-', { claimTimeoutMs: 1000 }),
    );
    admin = await adminFetch(control);
    const post = (path: string, body: unknown, method = 'POST') =>
      admin(`${control.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    assert.equal(
      (
        await post(
          '/environments/seeded',
          { allowedHosts: ['127.0.0.1'], requiresShadow: false },
          'PUT',
        )
      ).status,
      200,
    );
    const source = `name: seed\ntarget: ${target}\nenvironment: seeded\nload: { rate: 1, duration: 1s }\nflows: [{ name: f, steps: [{ name: s, request: { path: / } }] }]\n`;
    assert.equal((await post('/scenarios', { source })).status, 201);
    assert.equal(
      (await post('/schedules', { name: 'seed-nightly', scenario: 'seed', cron: '0 3 * * *' }))
        .status,
      201,
    );
    before_ = await snapshot();
  });
  after(() => stopAll(redis, [], control, server));

  const writes = (Object.entries(controlApi) as [keyof typeof controlApi, RouteContract][]).filter(
    ([, route]) => route.method !== 'GET',
  );

  it(`answers ${writes.length} write routes × ${RUNS_PER_ROUTE} hostile bodies without a 5xx, naming each refusal`, async () => {
    const valid = validBodies();
    let sent = 0;
    for (const [name, route] of writes) {
      await fc.assert(
        fc.asyncProperty(
          bodyFor(valid[name] ?? {}),
          fc.string({ minLength: 1, maxLength: 20 }),
          async (body, param) => {
            const response = await admin(`${control.url}${pathOf(route, `fz-${param}`)}`, {
              method: route.method,
              headers: { 'content-type': 'application/json' },
              ...(route.method === 'DELETE' ? {} : { body: JSON.stringify(body) ?? 'null' }),
            });
            sent++;
            await judge(
              `${route.method} ${route.path} ${JSON.stringify(body)?.slice(0, 200)}`,
              response,
            );
          },
        ),
        // A seed per route: the same bodies every run (npm test is deterministic).
        { numRuns: RUNS_PER_ROUTE, includeErrorInReport: true, seed: seedOf(name) },
      );
    }
    assert.ok(sent >= 1000, `${sent} bodies`);
  });

  it('answers bodies that are not JSON, or not JSON of the right media type, with 4xx', async () => {
    const bodied = writes.filter(([, route]) => route.body !== undefined);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...bodied.map(([name]) => name)),
        rawBodies,
        async (name, raw) => {
          const route: RouteContract = controlApi[name];
          const response = await admin(`${control.url}${pathOf(route, 'fz-raw')}`, {
            method: route.method,
            headers: raw.type ? { 'content-type': raw.type } : {},
            body: raw.text,
          });
          await judge(`${route.method} ${route.path} as ${raw.type}`, response);
        },
      ),
      { numRuns: 200, includeErrorInReport: true, seed: seedOf('raw bodies') },
    );
  });

  it('stays healthy, and what was stored before is all there, unchanged', async () => {
    const health = await fetch(`${control.url}/health`);
    assert.equal(health.status, 200);
    assert.equal(await snapshot(), before_);
  });
});
