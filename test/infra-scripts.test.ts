// infra/'s scripts, run for real: render-acl.sh (and every refusal), make-certs.sh,
// make-env.sh, and compose's redis-init (compose-init.sh) followed by redis-server started
// with compose's own Redis command on what it made, reached with Node's TLS as each ACL
// user, and compose's Redis healthcheck. What Docker adds (images, volumes, networks) is
// not here: there is no Docker engine on the build machines.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ControlEnv } from '@loadline/config';
import { redisAnswers } from '@loadline/queue';
import { parseYamlText } from '../infra/checks/common.mjs';
import { root } from './support.js';

const infra = join(root, 'infra');
const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
const tmp = () => mkdtempSync(join(tmpdir(), 'loadline-infra-scripts-'));
const template = join(infra, 'redis', 'users.acl.template');
const strong = (c: string) => c.repeat(40);

/** Runs an infra script with exactly `env` (and PATH). */
function script(path: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync('sh', [join(infra, path), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
  });
}

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe('render-acl.sh', () => {
  const passwords = { REDIS_CONTROL_PASSWORD: strong('c'), REDIS_AGENT_PASSWORD: strong('a') };

  it('fills in the template, for its owner only', () => {
    const out = join(tmp(), 'users.acl');
    const result = script('redis/render-acl.sh', [template, out], {
      ...passwords,
      LOADLINE_NAMESPACE: 'ns-1',
    });
    assert.equal(result.status, 0, result.stderr);
    const expected = readFileSync(template, 'utf8')
      .replaceAll('${NAMESPACE}', 'ns-1')
      .replaceAll('${CONTROL_PASSWORD}', strong('c'))
      .replaceAll('${AGENT_PASSWORD}', strong('a'));
    assert.equal(readFileSync(out, 'utf8'), expected);
    assert.equal(mode(out), '600');
  });

  const refusals: Array<[string, Record<string, string>, RegExp]> = [
    [
      'an unset password',
      { REDIS_AGENT_PASSWORD: strong('a') },
      /REDIS_CONTROL_PASSWORD is not set/,
    ],
    [
      'the placeholder',
      { ...passwords, REDIS_AGENT_PASSWORD: 'CHANGE_ME' },
      /REDIS_AGENT_PASSWORD is still the placeholder/,
    ],
    [
      'a short password',
      { ...passwords, REDIS_CONTROL_PASSWORD: 'abc123' },
      /has 6 characters; use at least 32/,
    ],
    [
      'a password a URL would escape',
      { ...passwords, REDIS_AGENT_PASSWORD: `${strong('a')}@/` },
      /REDIS_AGENT_PASSWORD may hold only/,
    ],
    [
      'the same password twice',
      { ...passwords, REDIS_AGENT_PASSWORD: strong('c') },
      /are the same/,
    ],
    [
      'a namespace with a glob',
      { ...passwords, LOADLINE_NAMESPACE: 'ns*' },
      /LOADLINE_NAMESPACE "ns\*" may hold only/,
    ],
  ];
  for (const [what, env, message] of refusals) {
    it(`refuses ${what} (exit 2), leaving the file as it was`, () => {
      const out = join(tmp(), 'users.acl');
      writeFileSync(out, 'before\n');
      const result = script('redis/render-acl.sh', [template, out], env);
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(readFileSync(out, 'utf8'), 'before\n');
    });
  }

  it('refuses a template with a placeholder it does not fill', () => {
    const dir = tmp();
    writeFileSync(join(dir, 't'), 'user default off\nuser x on >${X_PASSWORD}\n');
    const result = script('redis/render-acl.sh', [join(dir, 't'), join(dir, 'out')], passwords);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /placeholder this script does not fill/);
  });
});

describe('make-certs.sh', { skip: has('openssl') ? false : 'needs openssl' }, () => {
  const openssl = (...args: string[]) => spawnSync('openssl', args, { encoding: 'utf8' });

  it('makes an authority and a server certificate for the names given, then keeps them', () => {
    const dir = join(tmp(), 'certs');
    const made = script('tls/make-certs.sh', [dir, 'redis', 'DNS:redis,IP:127.0.0.1']);
    assert.equal(made.status, 0, made.stderr);
    const verify = openssl('verify', '-CAfile', join(dir, 'ca.crt'), join(dir, 'redis.crt'));
    assert.equal(verify.status, 0, verify.stderr);
    const text = openssl(
      'x509',
      '-in',
      join(dir, 'redis.crt'),
      '-noout',
      '-ext',
      'subjectAltName',
    ).stdout;
    assert.match(text, /DNS:redis, IP Address:127\.0\.0\.1/);
    assert.equal(mode(join(dir, 'ca.key')), '600');
    assert.equal(mode(join(dir, 'redis.key')), '600');
    const cert = readFileSync(join(dir, 'redis.crt'), 'utf8');
    assert.equal(script('tls/make-certs.sh', [dir, 'redis', 'DNS:redis']).status, 0);
    assert.equal(readFileSync(join(dir, 'redis.crt'), 'utf8'), cert);
  });

  it('makes the server certificate again when it expires within 30 days', () => {
    const dir = join(tmp(), 'certs');
    assert.equal(script('tls/make-certs.sh', [dir, 'redis', 'DNS:redis']).status, 0);
    // Replace it with one of 10 days, from the same key and authority.
    const csr = join(dir, 'r.csr');
    const request = openssl(
      'req',
      '-new',
      '-key',
      join(dir, 'redis.key'),
      '-subj',
      '/CN=redis',
      '-out',
      csr,
    );
    assert.equal(request.status, 0, request.stderr);
    const signed = openssl(
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      join(dir, 'ca.crt'),
      '-CAkey',
      join(dir, 'ca.key'),
      '-CAcreateserial',
      '-days',
      '10',
      '-out',
      join(dir, 'redis.crt'),
    );
    assert.equal(signed.status, 0, signed.stderr);
    const expiring = readFileSync(join(dir, 'redis.crt'), 'utf8');
    const renewed = script('tls/make-certs.sh', [dir, 'redis', 'DNS:redis']);
    assert.equal(renewed.status, 0, renewed.stderr);
    assert.match(renewed.stderr, /made .*redis\.crt/);
    assert.notEqual(readFileSync(join(dir, 'redis.crt'), 'utf8'), expiring);
    assert.equal(
      openssl('x509', '-in', join(dir, 'redis.crt'), '-noout', '-checkend', String(300 * 86_400))
        .status,
      0,
    );
  });

  it('refuses bad usage (exit 2)', () => {
    assert.equal(script('tls/make-certs.sh', [tmp(), 'redis']).status, 2);
    assert.match(script('tls/make-certs.sh', [tmp(), 'a b', 'DNS:x']).stderr, /NAME "a b"/);
    assert.match(
      script('tls/make-certs.sh', [tmp(), 'redis', 'redis']).stderr,
      /SUBJECT_ALT_NAMES/,
    );
  });
});

/** infra/.env as compose reads it (NAME=value lines; comments and blanks skipped). */
function readEnv(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1] as string] = m[2] as string;
  }
  return env;
}

describe('make-env.sh', () => {
  it('writes values the code and render-acl.sh accept, for its owner only, and never overwrites', () => {
    const file = join(tmp(), '.env');
    const made = script('make-env.sh', [file]);
    assert.equal(made.status, 0, made.stderr);
    assert.equal(mode(file), '600');
    const env = readEnv(file);
    for (const name of ['LOADLINE_ADMIN_PASSWORD', 'LOADLINE_SHADOW_SECRET'] as const) {
      assert.ok(ControlEnv.shape[name].safeParse(env[name]).success, `${name}=${env[name]}`);
    }
    assert.equal(env.LOADLINE_AGENT_TOKEN, undefined);
    const acl = script('redis/render-acl.sh', [template, join(tmp(), 'users.acl')], {
      REDIS_CONTROL_PASSWORD: env.LOADLINE_REDIS_CONTROL_PASSWORD as string,
      REDIS_AGENT_PASSWORD: env.LOADLINE_REDIS_AGENT_PASSWORD as string,
    });
    assert.equal(acl.status, 0, acl.stderr);
    const before = readFileSync(file, 'utf8');
    const again = script('make-env.sh', [file]);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /not overwriting/);
    assert.equal(readFileSync(file, 'utf8'), before);
  });
});

const composeSkip =
  !has('redis-server') || !has('redis-cli') || !has('openssl')
    ? 'needs redis-server, redis-cli and openssl'
    : process.getuid?.() !== 0
      ? 'compose-init.sh hands files to uid 999: needs root'
      : false;

describe("compose's redis-init and Redis command, outside Docker", { skip: composeSkip }, () => {
  const dir = tmp();
  const [ca, config, trust, data] = ['ca', 'redis', 'trust', 'data'].map((d) => join(dir, d));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const passwords = { control: `c${strong('1')}`, agent: `a${strong('2')}` };
  const compose = parseYamlText(readFileSync(join(infra, 'compose.yaml'), 'utf8'), 'compose')
    .docs[0] as {
    services: Record<string, { command: string[]; healthcheck: { test: string[] } }>;
  };
  /** compose's paths and port, made local */
  const local = (word: string) =>
    word.replaceAll('/etc/redis-loadline', config as string).replaceAll('6380', String(port));
  let redis: ChildProcess;

  before(async () => {
    for (const d of [ca, config, trust, data]) mkdirSync(d as string);
    const init = script('redis/compose-init.sh', [ca, config, trust] as string[], {
      LOADLINE_NAMESPACE: 'composetest',
      REDIS_CONTROL_PASSWORD: passwords.control,
      REDIS_AGENT_PASSWORD: passwords.agent,
    });
    assert.equal(init.status, 0, init.stderr);
    const [command, ...args] = compose.services.redis.command.map(local);
    redis = spawn(command as string, [...args, '--bind', '127.0.0.1'], {
      cwd: data,
      stdio: 'ignore',
    });
    let up = false;
    for (let i = 0; i < 50 && !up; i++) {
      up = await redisAnswers(
        `rediss://agent:${passwords.agent}@localhost:${port}`,
        500,
        readFileSync(join(trust as string, 'ca.crt')),
      );
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(up, "redis-server did not start with compose's command on redis-init's files");
  });
  after(() => redis?.kill());

  it('hands Redis its files (uid 999, 0400) and control and agents the authority alone', () => {
    for (const file of ['users.acl', 'redis.crt', 'redis.key', 'ca.crt']) {
      const stat = statSync(join(config as string, file));
      assert.equal(stat.uid, 999, file);
      assert.equal(mode(join(config as string, file)), '400', file);
    }
    assert.equal(mode(join(trust as string, 'ca.crt')), '444');
    assert.equal(spawnSync('ls', [trust as string], { encoding: 'utf8' }).stdout.trim(), 'ca.crt');
  });

  it('admits control and agent over TLS with the authority, and nobody else', async () => {
    const authority = readFileSync(join(trust as string, 'ca.crt'));
    const at = (user: string) => `rediss://${user}@localhost:${port}`;
    assert.equal(await redisAnswers(at(`control:${passwords.control}`), 2000, authority), true);
    assert.equal(await redisAnswers(at(`agent:${passwords.agent}`), 2000, authority), true);
    assert.equal(await redisAnswers(at(`agent:${passwords.control}`), 2000, authority), false);
    assert.equal(await redisAnswers(`rediss://localhost:${port}`, 2000, authority), false);
    // the system's trust store does not know the private authority
    assert.equal(await redisAnswers(at(`agent:${passwords.agent}`), 2000), false);
    // no plain-text port: the TLS port does not speak plain RESP
    assert.equal(
      await redisAnswers(`redis://agent:${passwords.agent}@127.0.0.1:${port}`, 2000),
      false,
    );
  });

  it("passes compose's healthcheck with the agent's password, and fails it without", () => {
    const [kind, line] = compose.services.redis.healthcheck.test;
    assert.equal(kind, 'CMD-SHELL');
    const health = (password: string) =>
      spawnSync('sh', ['-c', local(line as string)], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', REDISCLI_AUTH: password },
      }).status;
    assert.equal(health(passwords.agent), 0);
    assert.notEqual(health('wrong-password'), 0);
  });

  it('runs again at the next `up` and keeps the certificate', () => {
    const cert = readFileSync(join(config as string, 'redis.crt'), 'utf8');
    const again = script('redis/compose-init.sh', [ca, config, trust] as string[], {
      LOADLINE_NAMESPACE: 'composetest',
      REDIS_CONTROL_PASSWORD: passwords.control,
      REDIS_AGENT_PASSWORD: passwords.agent,
    });
    assert.equal(again.status, 0, again.stderr);
    assert.equal(readFileSync(join(config as string, 'redis.crt'), 'utf8'), cert);
  });
});
