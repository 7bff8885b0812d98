// Who may do what, through control's real HTTP API: real Redis, PGlite and chdb, an
// enrolled agent, a real target. Every refusal is checked for its status, its problem and
// that nothing happened.
import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Agent } from '@loadline/agent';
import { controlApi, type RouteContract } from '@loadline/api/http';
import { Control } from '../control.js';
import {
  adminFetch,
  bearerFetch,
  callApi,
  type Json,
  skipWithoutRedis,
  startAgents,
  startTarget,
  stopAll,
  testControlConfig,
  testRedis,
  waitForRunStatus,
} from '../testing.js';

const redis = testRedis(process.env.REDIS_URL);
const skip = await skipWithoutRedis(redis);
const PASSWORD = 'correct horse battery staple';

let control: Control;
let admin: typeof fetch;
let agents: Agent[] = [];
let server: http.Server;
let target = '';
let served = 0;

const call = (as: typeof fetch, method: string, path: string, body?: unknown) =>
  callApi(control.url, method, path, body, as);

async function makeUser(name: string, role: string, environments: string[] = []) {
  const made = await call(admin, 'PUT', `/users/${name}`, {
    role,
    environments,
    password: PASSWORD,
  });
  assert.equal(made.status, 200, JSON.stringify(made.json));
}

/** A user's API token, as `loadline login` gets one. */
async function tokenOf(name: string): Promise<typeof fetch> {
  const issued = await callApi(control.url, 'POST', '/auth/token', {
    username: name,
    password: PASSWORD,
  });
  assert.equal(issued.status, 201, JSON.stringify(issued.json));
  return bearerFetch(issued.json.token);
}

/** A console session: the cookie the browser keeps, and the CSRF token pages send back. */
async function signIn(name: string, password = PASSWORD) {
  const response = await fetch(`${control.url}/auth/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: name, password }),
  });
  const cookie = response.headers.get('set-cookie') ?? '';
  return { status: response.status, cookie, json: (await response.json()) as Json };
}

const withSession =
  (cookie: string, csrf?: string): typeof fetch =>
  (input, init) =>
    fetch(input, {
      ...init,
      headers: {
        ...(init?.headers as Record<string, string>),
        cookie: cookie.split(';')[0] as string,
        ...(csrf ? { 'x-loadline-csrf': csrf } : {}),
      },
    });

const waitForStatus = (id: string, wanted: string[], timeoutMs = 20_000): Promise<Json> =>
  waitForRunStatus(
    (method, path) => call(admin, method, path),
    id,
    (s) => wanted.includes(s),
    timeoutMs,
  );

const scenario = (name: string, environment: string) => `name: ${name}
target: ${target}
environment: ${environment}
agents: 1
load: { rate: 10, duration: 1s }
flows: [{ name: f, steps: [{ name: s, request: { path: /, headers: { authorization: "Bearer \${secrets.API_TOKEN}" } } }] }]
`;

describe('access control (real HTTP, Redis, PGlite, chdb)', { skip }, () => {
  let lastAuthorization = '';
  before(async () => {
    ({ server, url: target } = await startTarget((req, res) => {
      served++;
      lastAuthorization = String(req.headers.authorization ?? '');
      res.end('ok');
    }));
    control = await Control.start(
      testControlConfig(redis, 'loadline-access-', { approvalTtlMs: 3000 }),
    );
    admin = await adminFetch(control);
    agents = await startAgents(redis, control, 1);
    for (const name of ['staging', 'production']) {
      const put = await call(admin, 'PUT', `/environments/${name}`, {
        allowedHosts: [new URL(target).host],
        requiresShadow: false,
        protected: name === 'production',
      });
      assert.equal(put.status, 200, JSON.stringify(put.json));
      const secret = await call(admin, 'PUT', `/environments/${name}/secrets/API_TOKEN`, {
        value: `s3cret-of-${name}`,
      });
      assert.equal(secret.status, 200, JSON.stringify(secret.json));
    }
    await makeUser('vera', 'viewer');
    await makeUser('arthur', 'author');
    await makeUser('olga', 'operator', ['staging', 'production']);
    await makeUser('oscar', 'operator', ['staging']);
    await makeUser('pia', 'operator', ['production']);
    await makeUser('gus', 'viewer');
  });

  after(() => stopAll(redis, agents, control, server));

  it('turns anonymous callers away from every route but health, the document and sign-in', async () => {
    for (const [name, route] of Object.entries(controlApi) as [string, RouteContract][]) {
      const path = route.path.replace(/:(\w+)/g, 'x');
      const response = await fetch(`${control.url}${path}`, {
        method: route.method,
        ...(route.method === 'GET' || route.method === 'DELETE'
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: '{}' }),
        redirect: 'manual',
      });
      if (route.permission === 'public' || route.permission === 'leak.report') {
        assert.notEqual(response.status, 403, name);
        continue;
      }
      assert.equal(response.status, 401, `${name}: ${response.status}`);
      assert.equal(response.headers.get('content-type'), 'application/problem+json');
      assert.match(response.headers.get('www-authenticate') ?? '', /Bearer/);
    }
    const forged = await fetch(`${control.url}/runs`, {
      headers: { authorization: `Bearer llt_${'A'.repeat(43)}` },
    });
    assert.equal(forged.status, 401, 'a token control never issued');
  });

  it('gives each role what it may do, and names the permission it lacks', async () => {
    const vera = await tokenOf('vera');
    const arthur = await tokenOf('arthur');
    const oscar = await tokenOf('oscar');
    assert.equal((await call(vera, 'GET', '/runs')).status, 200);
    const saving = await call(vera, 'POST', '/scenarios', { source: scenario('roles', 'staging') });
    assert.equal(saving.status, 403);
    assert.equal(saving.json.permission, 'scenario.write');
    assert.match(saving.json.detail, /vera \(viewer\) lacks permission "scenario\.write"/);
    const saved = await call(arthur, 'POST', '/scenarios', {
      source: scenario('roles', 'staging'),
    });
    assert.equal(saved.status, 201, JSON.stringify(saved.json));
    const byAuthor = await call(arthur, 'POST', '/runs', { scenario: 'roles' });
    assert.equal(byAuthor.status, 403);
    assert.equal(byAuthor.json.permission, 'run.launch');
    // An operator of staging launches in staging, not in production.
    const elsewhere = await call(oscar, 'POST', '/runs', {
      scenario: 'roles',
      environment: 'production',
    });
    assert.equal(elsewhere.status, 403);
    assert.match(elsewhere.json.detail, /"run\.launch" in environment "production"/);
    const widen = await call(oscar, 'PUT', '/environments/staging', {
      allowedHosts: ['0.0.0.0/0'],
    });
    assert.equal(widen.status, 403, 'operators do not change environments');
    assert.equal(widen.json.permission, 'environment.write');
    const served0 = served;
    const launched = await call(oscar, 'POST', '/runs', { scenario: 'roles' });
    assert.equal(launched.status, 201, JSON.stringify(launched.json));
    assert.match(launched.json.launchedBy, /^token:tok_\w+ \(oscar\)$/);
    const run = await waitForStatus(launched.json.id, ['passed', 'failed', 'aborted', 'error']);
    assert.equal(run.status, 'passed', JSON.stringify(run.abortReason));
    assert.equal(served - served0, 10);
    // Stopping someone's run takes run.stop in its environment: a viewer cannot.
    const stop = await call(vera, 'POST', `/runs/${launched.json.id}/stop`);
    assert.equal(stop.status, 403);
    assert.equal((await call(vera, 'GET', '/audit')).status, 403, 'audit is for admins');
  });

  it('hands the scenario its environment secret, and never answers it back', async () => {
    // The secret of the run's own environment reached the target...
    assert.equal(lastAuthorization, 'Bearer s3cret-of-staging');
    // ...and appears in no answer: secrets list, runs, audit.
    for (const path of ['/environments/staging/secrets', '/runs', '/audit?limit=500']) {
      const answer = await call(admin, 'GET', path);
      assert.equal(answer.status, 200);
      assert.doesNotMatch(JSON.stringify(answer.json), /s3cret-of/, path);
    }
    const listed = await call(admin, 'GET', '/environments/staging/secrets');
    assert.deepEqual(
      listed.json.secrets.map((s: Json) => s.name),
      ['API_TOKEN'],
    );
    // A scenario using a secret its environment lacks is refused before anything starts.
    const put = await call(admin, 'PUT', '/environments/bare', {
      allowedHosts: [new URL(target).host],
      requiresShadow: false,
    });
    assert.equal(put.status, 200);
    const refused = await call(admin, 'POST', '/runs', { scenario: 'roles', environment: 'bare' });
    assert.equal(refused.status, 422);
    assert.deepEqual(refused.json.errors, [
      { field: 'secrets.API_TOKEN', message: 'not set in the environment' },
    ]);
    assert.equal(
      (await call(admin, 'PUT', '/environments/bare/secrets/api_token', { value: 'x' })).status,
      422,
    );
    assert.equal(
      (await call(admin, 'PUT', '/environments/bare/secrets/X', { value: 'a\nb' })).status,
      422,
    );
  });

  it('keeps tokens no stronger than their maker, revocable, and stored only as hashes', async () => {
    const oscar = await tokenOf('oscar');
    const stronger = await call(oscar, 'POST', '/tokens', { role: 'admin' });
    assert.equal(stronger.status, 403);
    const elsewhere = await call(oscar, 'POST', '/tokens', {
      role: 'operator',
      environments: ['production'],
    });
    assert.equal(elsewhere.status, 403);
    const ci = await call(oscar, 'POST', '/tokens', {
      role: 'operator',
      name: 'ci',
      expires: '1d',
    });
    assert.equal(ci.status, 201, JSON.stringify(ci.json));
    assert.deepEqual(ci.json.environments, ['staging']);
    assert.match(ci.json.token, /^llt_/);
    const asCi = bearerFetch(ci.json.token);
    assert.equal((await call(asCi, 'GET', '/auth/session')).json.role, 'operator');
    const mine = await call(oscar, 'GET', '/tokens');
    assert.ok(mine.json.tokens.every((t: Json) => !('token' in t) && t.owner === 'oscar'));
    assert.ok(mine.json.tokens.some((t: Json) => t.id === ci.json.id && t.lastUsedAt !== null));
    // Someone else's token is not theirs to revoke; their own is.
    const others = (await call(admin, 'GET', '/tokens')).json.tokens.find(
      (t: Json) => t.owner === 'vera',
    );
    assert.equal((await call(oscar, 'DELETE', `/tokens/${others.id}`)).status, 403);
    assert.equal((await call(oscar, 'DELETE', `/tokens/${ci.json.id}`)).status, 204);
    assert.equal((await call(asCi, 'GET', '/runs')).status, 401);
    // A user whose role is lowered: their stronger tokens stop working at once.
    const pia = await tokenOf('pia');
    assert.equal((await call(pia, 'GET', '/runs')).status, 200);
    await call(admin, 'PUT', '/users/pia', { role: 'viewer' });
    assert.equal((await call(pia, 'GET', '/runs')).status, 401);
    await call(admin, 'PUT', '/users/pia', { role: 'operator', environments: ['production'] });
  });

  it('signs people in with a session cookie, CSRF-checked writes, and rate-limited guessing', async () => {
    const wrong = await signIn('vera', 'not her password');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.cookie, '', 'no cookie for a failed sign-in');
    const unknown = await signIn('nobody-at-all');
    assert.equal(unknown.status, 401);
    assert.equal(unknown.json.detail, wrong.json.detail, 'the same answer for an unknown user');
    const ok = await signIn('arthur');
    assert.equal(ok.status, 201);
    assert.match(ok.cookie, /^loadline_session=lls_[\w-]+; HttpOnly; SameSite=Strict; Path=\//);
    const csrf = ok.json.csrfToken as string;
    const noCsrf = await call(withSession(ok.cookie), 'POST', '/scenarios', {
      source: scenario('csrf', 'staging'),
    });
    assert.equal(noCsrf.status, 403);
    assert.match(noCsrf.json.title, /CSRF/);
    const good = await call(withSession(ok.cookie, csrf), 'POST', '/scenarios', {
      source: scenario('csrf', 'staging'),
    });
    assert.equal(good.status, 201);
    // Signed out, the cookie is worth nothing.
    assert.equal((await call(withSession(ok.cookie, csrf), 'DELETE', '/auth/session')).status, 204);
    assert.equal((await call(withSession(ok.cookie), 'GET', '/runs')).status, 401);
    // Guessing: after ten failures for one name from one address, 429 with Retry-After.
    let last = await signIn('gus', 'guess');
    for (let i = 0; i < 10 && last.status !== 429; i++) last = await signIn('gus', `guess ${i}`);
    assert.equal(last.status, 429);
    assert.equal((await signIn('gus')).status, 429, 'even the right password waits');
    assert.equal((await signIn('vera')).status, 201, 'another name is not held back');
  });

  it('makes a launch in a protected environment wait for a second operator', async () => {
    const olga = await tokenOf('olga');
    const pia = await tokenOf('pia');
    const oscar = await tokenOf('oscar');
    await call(admin, 'POST', '/scenarios', { source: scenario('guarded', 'production') });
    const check = await call(olga, 'POST', '/runs/check', { scenario: 'guarded' });
    assert.equal(check.json.awaitsApproval, true);
    const served0 = served;
    const asked = await call(olga, 'POST', '/runs', { scenario: 'guarded' });
    assert.equal(asked.status, 201);
    assert.equal(asked.json.status, 'awaiting-approval');
    assert.equal(asked.json.approval.state, 'pending');
    const id = asked.json.id;
    const self = await call(olga, 'POST', `/runs/${id}/approve`, {});
    assert.equal(self.status, 403, 'never the one who asked');
    assert.match(self.json.detail, /a second operator/);
    const outsider = await call(oscar, 'POST', `/runs/${id}/approve`, {});
    assert.equal(outsider.status, 403, 'an operator of staging cannot approve production');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(served, served0, 'nothing was sent while it waited');
    const approved = await call(pia, 'POST', `/runs/${id}/approve`, { reason: 'rehearsal 3' });
    assert.equal(approved.status, 200, JSON.stringify(approved.json));
    assert.equal(approved.json.approval.state, 'approved');
    assert.equal(approved.json.approval.decidedBy, `${approved.json.approval.decidedBy}`);
    const run = await waitForStatus(id, ['passed', 'failed', 'aborted', 'error']);
    assert.equal(run.status, 'passed');
    assert.equal(lastAuthorization, 'Bearer s3cret-of-production');
    // Refused: it ends unstarted, with the reason.
    const second = await call(olga, 'POST', '/runs', { scenario: 'guarded' });
    const refused = await call(pia, 'POST', `/runs/${second.json.id}/refuse`, {
      reason: 'not during the sale',
    });
    assert.equal(refused.json.status, 'aborted');
    assert.match(refused.json.abortReason, /refused by token:tok_\w+ \(pia\): not during the sale/);
    assert.equal((await call(pia, 'POST', `/runs/${second.json.id}/approve`, {})).status, 409);
    // Nobody decides: it expires (approvals last 3 s here) and ends unstarted.
    const third = await call(olga, 'POST', '/runs', { scenario: 'guarded' });
    const expired = await waitForStatus(third.json.id, ['aborted'], 10_000);
    assert.match(expired.abortReason, /nobody approved the launch before/);
    assert.equal(expired.approval.state, 'expired');
    assert.equal((await call(pia, 'POST', `/runs/${third.json.id}/approve`, {})).status, 409);
  });

  it('keeps an append-only audit log of who did what, from where, with what outcome', async () => {
    const page = await call(admin, 'GET', '/audit?limit=500');
    assert.equal(page.status, 200);
    const events: Json[] = page.json.events;
    const find = (action: string, outcome: string, actor?: RegExp) =>
      events.find(
        (e) => e.action === action && e.outcome === outcome && (!actor || actor.test(e.actor)),
      );
    assert.ok(find('auth.sign-in', 'denied', /^user:vera$/), 'failed sign-in');
    assert.equal(find('auth.sign-in', 'denied', /^user:vera$/).detail.reason, 'wrong password');
    assert.ok(find('auth.sign-in', 'ok', /^user:arthur$/));
    assert.ok(find('run.launch', 'denied', /\(oscar\)/), 'launch outside his environment');
    assert.ok(find('run.approve', 'denied', /\(olga\)/), 'self-approval');
    assert.ok(find('run.approve', 'ok', /\(pia\)/));
    assert.ok(find('run.refuse', 'ok', /\(pia\)/));
    assert.ok(find('run.approval-expired', 'ok', /^system$/));
    assert.ok(find('token.revoke', 'ok', /\(oscar\)/));
    assert.ok(find('secret.put', 'ok'));
    const widened = find('environment.put', 'denied', /\(oscar\)/);
    assert.equal(widened.target, 'staging');
    const created = events.find(
      (e) => e.action === 'environment.put' && e.target === 'environment:production',
    );
    assert.deepEqual(created.detail.changes.protected, { from: null, to: true });
    assert.ok(events.every((e) => e.source.length > 0));
    // Filters: by actor, by an action prefix, by outcome.
    const veras = await call(admin, 'GET', '/audit?actor=user:vera');
    assert.ok(veras.json.events.length > 0);
    assert.ok(veras.json.events.every((e: Json) => e.actor === 'user:vera'));
    const runs = await call(admin, 'GET', '/audit?action=run.*&outcome=denied');
    assert.ok(
      runs.json.events.every((e: Json) => e.action.startsWith('run.') && e.outcome === 'denied'),
    );
    // The API has no way to change it.
    for (const method of ['PUT', 'PATCH', 'DELETE', 'POST']) {
      const response = await admin(`${control.url}/audit`, { method });
      assert.equal(response.status, 405, method);
    }
  });

  it('knows its enrolled agents; a revoked one is no longer an agent', async () => {
    const enrolled = await call(admin, 'GET', '/agents/enrolled');
    assert.deepEqual(
      enrolled.json.agents.map((a: Json) => [a.agentId, a.revokedAt]),
      [['agent-1', null]],
    );
    // Only agent tokens enroll.
    const asAdmin = await call(admin, 'POST', '/agents/enroll', {
      agentId: 'sneaky',
      host: 'h',
      version: '0',
    });
    assert.equal(asAdmin.status, 403);
    assert.equal(asAdmin.json.permission, 'agent.enroll');
    assert.deepEqual(
      (await call(admin, 'GET', '/agents')).json.agents.map((a: Json) => a.agentId),
      ['agent-1'],
    );
    assert.equal((await call(admin, 'DELETE', '/agents/agent-1')).status, 204);
    // Its heartbeats are signed with a retired key now: within two seconds it is gone.
    await new Promise((r) => setTimeout(r, 2500));
    assert.deepEqual((await call(admin, 'GET', '/agents')).json.agents, []);
  });
});
