// infra/check.mjs's checks of compose.yaml and of infra/ files as text (infra/checks/*.mjs),
// each shown to pass on the committed infra/ and to fail on a copy made bad in the one way
// it guards against; and the command itself, on the committed tree and on a broken copy.
// The Kubernetes checks are in infra-check-k8s.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  composeDefaultSecretProblems,
  composeInterpolationProblems,
  composeLoadlineProblems,
  composeNetworkProblems,
  composePortProblems,
  composeRedisProblems,
} from '../infra/checks/compose.mjs';
import {
  aclTemplateProblems,
  dockerfileProblems,
  plainRedisUrlProblems,
} from '../infra/checks/files.mjs';
import {
  compose,
  composeText,
  flags,
  infra,
  type Json,
  reads,
  redisFiles,
  text,
} from './infra-fixtures.js';

describe('compose checks', () => {
  const loadline = (c: Json) => composeLoadlineProblems(c, 'compose', reads);

  it('pass on the committed compose.yaml', () => {
    const c = compose();
    assert.deepEqual(
      [
        ...composeInterpolationProblems(composeText, 'compose'),
        ...composeDefaultSecretProblems(composeText, 'compose'),
        ...composePortProblems(c, 'compose'),
        ...loadline(c),
        ...composeRedisProblems(c, 'compose'),
        ...composeNetworkProblems(c, 'compose'),
      ],
      [],
    );
  });

  it('refuse a port published on every interface', () => {
    for (const port of ['7700:7700', '0.0.0.0:7700:7700', '${LOADLINE_API_PORT:-7700}:7700']) {
      const c = compose();
      c.services.control.ports = [port];
      flags(composePortProblems(c, 'compose'), /control publishes .* on every interface/);
    }
    const long = compose();
    long.services['demo-mall'].ports = [{ target: 8080, published: 8080 }];
    flags(composePortProblems(long, 'compose'), /demo-mall publishes/);
    const host = compose();
    host.services.agent.network_mode = 'host';
    flags(composePortProblems(host, 'compose'), /agent uses the host's network/);
  });

  it('refuse a password, secret or token with a default, and secrets not required', () => {
    const text = composeText.replace(
      '${LOADLINE_PG_PASSWORD:?set it in infra/.env (sh infra/make-env.sh)}',
      '${LOADLINE_PG_PASSWORD:-loadline}',
    );
    flags(composeDefaultSecretProblems(text, 'compose'), /LOADLINE_PG_PASSWORD has a default/);
    const c = compose();
    c.services.control.environment.LOADLINE_SHADOW_SECRET = 'a-published-master-secret';
    c.services.agent.environment.LOADLINE_AGENT_TOKEN = '${LOADLINE_AGENT_TOKEN}';
    const problems = loadline(c);
    flags(problems, /control: LOADLINE_SHADOW_SECRET must come from \.env/);
    flags(problems, /agent: LOADLINE_AGENT_TOKEN must come from \.env/);
  });

  it('refuse plain-text Redis, the wrong ACL user, or no authority', () => {
    const c = compose();
    c.services.control.environment.REDIS_URL = 'redis://redis:6379';
    c.services.agent.environment.REDIS_URL =
      'rediss://control:${LOADLINE_REDIS_CONTROL_PASSWORD:?x}@redis:6380';
    delete c.services.agent.environment.LOADLINE_REDIS_CA;
    const problems = loadline(c);
    flags(problems, /control: REDIS_URL must be rediss:\/\//);
    flags(problems, /agent: REDIS_URL signs in as "control"/);
    flags(problems, /agent: no LOADLINE_REDIS_CA/);
  });

  it('refuse a variable the code does not read', () => {
    const c = compose();
    c.services.control.environment.LOADLINE_PUBLIC_HOST = 'control';
    flags(loadline(c), /sets LOADLINE_PUBLIC_HOST, which the code does not read/);
  });

  it('refuse control beyond loopback without TLS, or insecure without public hosts', () => {
    const c = compose();
    c.services.control.command = ['control', '--namespace', 'loadline'];
    flags(loadline(c), /control listens on 0\.0\.0\.0 without TLS/);
    const hosts = compose();
    delete hosts.services.control.environment.LOADLINE_PUBLIC_HOSTS;
    flags(loadline(hosts), /--insecure-http without LOADLINE_PUBLIC_HOSTS/);
    const loopback = compose();
    loopback.services.control.command = ['control', '--namespace', 'loadline'];
    loopback.services.control.environment.LOADLINE_API = 'http://127.0.0.1:7700';
    assert.deepEqual(loadline(loopback), []);
  });

  it('refuse a Redis with a plain-text port, without ACL, or published', () => {
    const drop = (flag: string) => {
      const c = compose();
      const command: string[] = c.services.redis.command;
      command.splice(command.indexOf(flag), 2);
      return composeRedisProblems(c, 'compose');
    };
    flags(drop('--port'), /--port 0/);
    flags(drop('--aclfile'), /needs --aclfile/);
    flags(drop('--tls-cert-file'), /needs --tls-cert-file/);
    const shared = compose();
    shared.services.redis.command.push('--requirepass', 'secret');
    flags(composeRedisProblems(shared, 'compose'), /--requirepass/);
    const published = compose();
    published.services.redis.ports = ['127.0.0.1:6380:6380'];
    flags(composeRedisProblems(published, 'compose'), /redis publishes a port/);
  });

  it('refuse a network that lets others reach the stores', () => {
    const agent = compose();
    agent.services.agent.networks.push('storage');
    flags(composeNetworkProblems(agent, 'compose'), /agent shares a network with postgres/);
    const mall = compose();
    mall.services['demo-mall'].networks = ['default', 'queue'];
    flags(composeNetworkProblems(mall, 'compose'), /demo-mall shares a network with redis/);
    const open = compose();
    open.networks.queue.internal = false;
    flags(
      composeNetworkProblems(open, 'compose'),
      /redis is on network queue, which is not internal/,
    );
    const fallback = compose();
    delete fallback.services.postgres.networks;
    flags(composeNetworkProblems(fallback, 'compose'), /demo-mall shares a network with postgres/);
  });

  it('refuse a bare "$" (existing check)', () => {
    flags(
      composeInterpolationProblems('    test: ["CMD-SHELL", "echo $HOME"]\n', 'compose'),
      /bare "\$"/,
    );
  });
});

describe('file checks', () => {
  it('pass on the committed ACL template and Dockerfile', () => {
    assert.deepEqual(aclTemplateProblems(redisFiles['users.acl.template'], 'acl'), []);
    assert.deepEqual(dockerfileProblems(text('Dockerfile'), 'Dockerfile'), []);
  });

  it('refuse a plain-text redis:// URL anywhere', () => {
    flags(
      plainRedisUrlProblems({ 'README.md': 'ok: rediss://a@b\nREDIS_URL=redis://redis:6379\n' }),
      /README\.md:2: plain-text redis:\/\//,
    );
    assert.deepEqual(plainRedisUrlProblems({ 'a.yaml': 'rediss://agent:x@redis:6380' }), []);
  });

  it('refuse an ACL template with comments, the default user on, or an all-powerful user', () => {
    const template = redisFiles['users.acl.template'];
    flags(aclTemplateProblems(`# users\n${template}`, 'acl'), /not a user line/);
    flags(
      aclTemplateProblems(
        template.replace('user default off', 'user default on nopass ~* +@all'),
        'acl',
      ),
      /needs "user default off"/,
    );
    flags(
      aclTemplateProblems(template.replace('user agent on', 'user agent on allkeys'), 'acl'),
      /user agent may touch every key/,
    );
    flags(
      aclTemplateProblems(
        template.replace(/user control on >\S+/, 'user control on nopass'),
        'acl',
      ),
      /user control must have a password/,
    );
  });

  it('refuse an image that listens everywhere, carries a secret, or runs as root', () => {
    const dockerfile = text('Dockerfile');
    flags(
      dockerfileProblems(
        dockerfile.replace(
          'ENV NODE_ENV=production \\',
          'ENV NODE_ENV=production \\\n    LOADLINE_API=http://0.0.0.0:7700 \\',
        ),
        'Dockerfile',
      ),
      /wildcard LOADLINE_API/,
    );
    flags(
      dockerfileProblems(`${dockerfile}\nENV LOADLINE_SHADOW_SECRET=abc\n`, 'Dockerfile'),
      /bakes LOADLINE_SHADOW_SECRET/,
    );
    flags(dockerfileProblems(`${dockerfile}\nUSER root\n`, 'Dockerfile'), /must end with USER/);
    flags(
      dockerfileProblems(dockerfile.replace('USER node', ''), 'Dockerfile'),
      /must end with USER/,
    );
  });
});

describe('node infra/check.mjs', () => {
  const check = (dir?: string) =>
    spawnSync(process.execPath, [join(infra, 'check.mjs'), ...(dir ? [dir] : [])], {
      encoding: 'utf8',
    });

  it('passes on the committed infra/', () => {
    const result = check();
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /infra check: .*: ok/);
  });

  it('fails, naming the file and the problem, on a copy with a world-published port', () => {
    const copy = join(mkdtempSync(join(tmpdir(), 'loadline-infra-')), 'infra');
    cpSync(infra, copy, { recursive: true });
    writeFileSync(
      join(copy, 'compose.yaml'),
      composeText.replace('"127.0.0.1:${LOADLINE_API_PORT:-7700}:7700"', '"7700:7700"'),
    );
    writeFileSync(join(copy, 'k8s', 'extra.yaml'), 'kind: ConfigMap\n');
    const result = check(copy);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /compose\.yaml: control publishes "7700:7700" on every interface/);
    assert.match(result.stderr, /extra\.yaml is not in kustomization\.yaml/);
  });
});
