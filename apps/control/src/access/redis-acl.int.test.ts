// Redis as a shared installation runs it: TLS only, no default user, and an ACL user each
// for control and for agents, with the least the keys and commands each needs. Control and
// an enrolled agent run a whole run through it (Debian's redis-server, started here); the
// agent's user cannot read results, touch schedules, or run administrative commands.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Agent } from '@loadline/agent';
import { connectRedis, redisAnswers } from '@loadline/queue';
import { Control } from '../control.js';
import { adminFetch, callApi, type Json, startTarget, testControlConfig } from '../testing.js';
import { makeTestTls, tlsServerFlags } from '../testing-redis.js';

const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
const skip =
  !has('redis-server') || !has('openssl')
    ? 'needs redis-server and openssl (apt-get install redis-server openssl)'
    : false;

const namespace = `acl${Date.now().toString(36)}`;
const dir = mkdtempSync(join(tmpdir(), 'loadline-redis-acl-'));
const port = 20_000 + Math.floor(Math.random() * 20_000);

/**
 * infra/redis/users.acl.template (documented in infra/README.md), filled in: the file
 * installations use is the one tested. ACL files hold `user` lines only, no comments.
 */
function aclFile(ns: string, passwords: { control: string; agent: string }): string {
  const template = readFileSync(
    fileURLToPath(new URL('../../../../infra/redis/users.acl.template', import.meta.url)),
    'utf8',
  );
  return template
    .replaceAll('${NAMESPACE}', ns)
    .replaceAll('${CONTROL_PASSWORD}', passwords.control)
    .replaceAll('${AGENT_PASSWORD}', passwords.agent);
}

let redis: ChildProcess;
let control: Control;
let agent: Agent;
let server: http.Server;
let target = '';
let ca = '';
const controlUrl = `rediss://control:control-password-1@127.0.0.1:${port}`;
const agentUrl = `rediss://agent:agent-password-1@127.0.0.1:${port}`;

describe('Redis with TLS and least-privilege ACL users (real redis-server)', { skip }, () => {
  before(async () => {
    const tls = makeTestTls(dir);
    ca = tls.ca;
    writeFileSync(
      join(dir, 'users.acl'),
      aclFile(namespace, { control: 'control-password-1', agent: 'agent-password-1' }),
    );
    redis = spawn(
      'redis-server',
      [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--bind',
        '127.0.0.1',
        ...tlsServerFlags(tls),
        '--aclfile',
        join(dir, 'users.acl'),
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    );
    let up = false;
    for (let i = 0; i < 50 && !up; i++) {
      up = await redisAnswers(controlUrl, 500, ca);
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(up, 'redis-server did not start with infra/redis/users.acl.template');
    ({ server, url: target } = await startTarget((_req, res) => res.end('ok')));
    control = await Control.start(
      testControlConfig({ url: controlUrl, namespace }, 'loadline-acl-', { redisCa: ca }),
    );
    agent = await Agent.start({
      redisUrl: agentUrl,
      redisCa: ca,
      namespace,
      agentId: 'acl-agent',
      enroll: { api: control.url, token: await control.issueAgentToken('acl test') },
    });
  });
  after(async () => {
    await agent?.stop();
    await control?.close();
    server?.close();
    redis?.kill('SIGTERM');
  });

  it('runs a whole run through it: control and the agent each with their own user', async () => {
    const admin = await adminFetch(control);
    const source = `name: acl\ntarget: ${target}\nagents: 1\nload: { rate: 20, duration: 1s }\nflows: [{ name: f, steps: [{ name: s, request: { path: / } }] }]\n`;
    assert.equal((await callApi(control.url, 'POST', '/scenarios', { source }, admin)).status, 201);
    const launched = await callApi(control.url, 'POST', '/runs', { scenario: 'acl' }, admin);
    assert.equal(launched.status, 201, JSON.stringify(launched.json));
    let run: Json;
    for (let i = 0; i < 100; i++) {
      run = (await callApi(control.url, 'GET', `/runs/${launched.json.id}`, undefined, admin)).json;
      if (['passed', 'failed', 'aborted', 'error', 'degraded'].includes(run.status)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(run.status, 'passed', run.abortReason);
    assert.equal(run.summary.total.requests, 20);
  });

  it("keeps the agent's user to what an agent does", async () => {
    const asAgent = connectRedis(agentUrl, { tlsCa: ca, maxRetriesPerRequest: 0 });
    try {
      const refused = async (what: string, command: () => Promise<unknown>) =>
        assert.rejects(command(), /NOPERM/, what);
      await refused('reading results', () =>
        asAgent.xrange(`${namespace}:results`, '-', '+', 'COUNT', 1),
      );
      await refused('touching schedules', () => asAgent.set(`bull:${namespace}-schedules:x`, '1'));
      await refused('other namespaces', () => asAgent.get('loadline:agents'));
      await refused('writing a run signal', () => asAgent.set(`${namespace}:signal:run_x`, '1'));
      await refused('listing keys', () => asAgent.keys('*'));
      await refused('flushing', () => asAgent.flushall());
      await refused('configuring', () => asAgent.config('GET', 'dir'));
      // What an agent does is allowed.
      await asAgent.xadd(`${namespace}:results`, '*', 'm', '{}');
      assert.equal(await asAgent.get(`${namespace}:signal:none`), null);
    } finally {
      asAgent.disconnect();
    }
  });

  it('has no default user and no plain-text port', async () => {
    assert.equal(
      await redisAnswers(`rediss://127.0.0.1:${port}`, 1000, ca),
      false,
      'default user off',
    );
    assert.equal(
      await redisAnswers(`redis://control:control-password-1@127.0.0.1:${port}`, 1000),
      false,
    );
    assert.equal(await redisAnswers(`rediss://control:wrong@127.0.0.1:${port}`, 1000, ca), false);
    assert.equal(
      await redisAnswers(`rediss://control:control-password-1@127.0.0.1:${port}`, 1000),
      false,
      'an untrusted certificate',
    );
  });
});
