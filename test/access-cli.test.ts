// Access control as a user meets it on the command line, with real processes: `loadline
// up` makes the first admin and signs this machine's CLI in; `login`, `token`, `user`,
// `approve`, `refuse`, `secret`, `audit`; a CI token in LOADLINE_TOKEN; four eyes on a
// protected environment; the refusals with their exit codes.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, freePort, UpStack, waitUntil } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'loadline-access-cli-'));
const dataDir = join(dir, 'state');
const stack = new UpStack(dataDir);
const PASSWORD = 'correct horse battery staple';

/** A person's own machine: a credentials home of their own, the stack's API. */
function home(name: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { LOADLINE_TOKEN: _none, ...env } = process.env;
  return {
    ...env,
    XDG_CONFIG_HOME: mkdtempSync(join(dir, `${name}-`)),
    LOADLINE_API: stack.api,
    ...extra,
  };
}

function scenario(name: string, environment = 'local'): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}\ntarget: ${stack.demo}\nenvironment: ${environment}\nagents: 1\nload: { rate: 10, duration: 1s }\nflows: [{ name: f, steps: [{ name: s, request: { path: /api/products/1, headers: { x-api-key: "\${secrets.API_KEY}" } } }] }]\n`,
  );
  return file;
}

describe('access on the command line (loadline up, real processes)', { timeout: 240_000 }, () => {
  before(() => stack.start({ agents: 1 }));
  after(() => stack.stop());

  it('up made the first admin (password printed once, stored hashed) and signed this CLI in', async () => {
    const password = stack.adminPassword;
    assert.match(password, /^[\w-]{20}$/);
    // Stored only as a hash: no file of the data directory holds it.
    const files = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(d, e.name)) : e.isFile() ? [join(d, e.name)] : [],
      );
    for (const file of files(dataDir)) {
      assert.ok(!readFileSync(file).includes(password), `${file} holds the password`);
    }
    const credentials = join(process.env.XDG_CONFIG_HOME as string, 'loadline', 'credentials.json');
    assert.equal(statSync(credentials).mode & 0o777, 0o600);
    const me = await cli(['whoami', '--api', stack.api, '--json']);
    assert.equal(me.code, 0, me.stderr);
    assert.equal(JSON.parse(me.stdout).role, 'admin');
    // Its agents enrolled with an agent token.
    const enrolled = (await (await fetch(`${stack.api}/agents/enrolled`)).json()) as {
      agents: Array<{ agentId: string }>;
    };
    assert.deepEqual(
      enrolled.agents.map((a) => a.agentId),
      ['local-1'],
    );
  });

  it('signs in with a password (wrong: exit 2), makes users and CI tokens, revokes them', async () => {
    const laptop = home('admin');
    const wrong = await cli(['login', '--api', stack.api, '--password-stdin'], {
      env: laptop,
      input: 'not it',
    });
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /sign-in: sign-in failed: wrong user name or password/);
    const login = await cli(['login', '--api', stack.api, '--password-stdin', '--json'], {
      env: laptop,
      input: `${stack.adminPassword}\n`,
    });
    assert.equal(login.code, 0, login.stderr);
    assert.equal(JSON.parse(login.stdout).role, 'admin');
    const user = await cli(['user', 'set', 'vic', '--role', 'viewer', '--password-stdin'], {
      env: laptop,
      input: PASSWORD,
    });
    assert.equal(user.code, 0, user.stderr);
    const secret = await cli(['secret', 'set', 'local', 'API_KEY'], {
      env: laptop,
      input: 'k-123',
    });
    assert.equal(secret.code, 0, secret.stderr);
    const made = await cli(
      [
        'token',
        'create',
        '--role',
        'operator',
        '--environment',
        'local',
        '--expires',
        '1d',
        '--json',
      ],
      {
        env: laptop,
      },
    );
    assert.equal(made.code, 0, made.stderr);
    const ci = JSON.parse(made.stdout) as {
      id: string;
      token: string;
      role: string;
      expiresAt: string;
    };
    assert.deepEqual(Object.keys(ci).sort(), [
      'environments',
      'expiresAt',
      'id',
      'name',
      'role',
      'token',
    ]);
    assert.equal(ci.role, 'operator');
    // CI: nothing stored, the token in LOADLINE_TOKEN.
    const runner = home('ci', { LOADLINE_TOKEN: ci.token });
    const run = await cli(['run', scenario('ci-run'), '--wait', '--json'], { env: runner });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.equal(JSON.parse(run.stdout).status, 'passed');
    const listed = await cli(['token', 'list', '--json'], { env: laptop });
    const entry = JSON.parse(listed.stdout).tokens.find((t: { id: string }) => t.id === ci.id);
    assert.ok(entry.lastUsedAt, 'last used time kept');
    assert.ok(!('token' in entry), 'never the secret');
    assert.equal((await cli(['token', 'revoke', ci.id], { env: laptop })).code, 0);
    const after = await cli(['runs'], { env: runner });
    assert.equal(after.code, 2);
    assert.match(after.stderr, /asks who you are: run `loadline login --api/);
    // A viewer may look, not launch: exit 2 naming the permission.
    const viewer = home('vic');
    assert.equal(
      (await cli(['login', '--user', 'vic', '--password-stdin'], { env: viewer, input: PASSWORD }))
        .code,
      0,
    );
    const refused = await cli(['run', scenario('by-viewer'), '--wait'], { env: viewer });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /vic \(viewer\) lacks permission "scenario\.write"/);
    assert.equal((await cli(['runs'], { env: viewer })).code, 0);
    const anonymous = await cli(['runs'], { env: home('nobody') });
    assert.equal(anonymous.code, 2);
  });

  it('waits for a second operator in a protected environment; never the one who asked', async () => {
    const admin = home('admin2');
    await cli(['login', '--password-stdin'], { env: admin, input: stack.adminPassword });
    const put = await fetch(`${stack.api}/environments/prod`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ allowedHosts: ['127.0.0.1'], requiresShadow: false, protected: true }),
    });
    assert.equal(put.status, 200);
    await cli(['secret', 'set', 'prod', 'API_KEY'], { env: admin, input: 'k-prod' });
    for (const name of ['ola', 'pat']) {
      const made = await cli(
        ['user', 'set', name, '--role', 'operator', '--environment', 'prod', '--password-stdin'],
        {
          env: admin,
          input: PASSWORD,
        },
      );
      assert.equal(made.code, 0, made.stderr);
    }
    const ola = home('ola');
    const pat = home('pat');
    for (const [name, env] of [
      ['ola', ola],
      ['pat', pat],
    ] as const) {
      assert.equal(
        (await cli(['login', '--user', name, '--password-stdin'], { env, input: PASSWORD })).code,
        0,
      );
    }
    const launched = await cli(['run', scenario('guarded', 'prod'), '--json'], { env: ola });
    assert.equal(launched.code, 0, launched.stderr);
    const { runId, status } = JSON.parse(launched.stdout) as { runId: string; status: string };
    assert.equal(status, 'awaiting-approval');
    const self = await cli(['approve', runId], { env: ola });
    assert.equal(self.code, 2);
    assert.match(self.stderr, /a second operator or admin of the environment must approve it/);
    const approved = await cli(['approve', runId, '--reason', 'dry run 2', '--json'], { env: pat });
    assert.equal(approved.code, 0, approved.stderr);
    assert.equal(JSON.parse(approved.stdout).approval.state, 'approved');
    await waitUntil('the approved run passes', async () => {
      const run = (await (await fetch(`${stack.api}/runs/${runId}`)).json()) as { status: string };
      return run.status === 'passed';
    });
    const refusedRun = JSON.parse(
      (await cli(['run', scenario('guarded', 'prod'), '--json'], { env: ola })).stdout,
    );
    const noReason = await cli(['refuse', refusedRun.runId], { env: pat });
    assert.equal(noReason.code, 2);
    assert.match(noReason.stderr, /--reason: say why/);
    const refused = await cli(['refuse', refusedRun.runId, '--reason', 'freeze'], { env: pat });
    assert.equal(refused.code, 0, refused.stderr);
    assert.match(refused.stdout, /aborted: launch refused by .*pat.*: freeze/);
  });

  it('lists the audit log: sign-ins, refusals, approvals, with actor and source', async () => {
    const audit = await cli(['audit', '--api', stack.api, '--json', '--limit', '500']);
    assert.equal(audit.code, 0, audit.stderr);
    const events = JSON.parse(audit.stdout).events as Array<{
      action: string;
      outcome: string;
      actor: string;
      source: string;
    }>;
    const has = (action: string, outcome: string, actor: RegExp) =>
      events.some((e) => e.action === action && e.outcome === outcome && actor.test(e.actor));
    assert.ok(has('auth.sign-in', 'denied', /^user:admin$/), 'the wrong password');
    assert.ok(has('run.approve', 'denied', /\(ola\)/), 'self-approval');
    assert.ok(has('run.approve', 'ok', /\(pat\)/));
    assert.ok(has('run.refuse', 'ok', /\(pat\)/));
    assert.ok(has('scenario.save', 'denied', /\(vic\)/));
    assert.ok(has('token.revoke', 'ok', /admin/));
    assert.ok(has('agent.enroll', 'ok', /^token:/));
    assert.ok(events.every((e) => e.source.length > 0));
    const human = await cli([
      'audit',
      '--api',
      stack.api,
      '--action',
      'run.*',
      '--outcome',
      'denied',
    ]);
    assert.match(human.stdout, /denied\s+run\.approve/);
  });

  it('refuses what would leave the machine open', async () => {
    const port = await freePort();
    const open = await cli(['control', '--port', String(port)], {
      env: {
        ...process.env,
        LOADLINE_API: `http://0.0.0.0:${port}`,
        LOADLINE_DATA_DIR: join(dir, 'other'),
      },
    });
    assert.equal(open.code, 2);
    assert.match(open.stderr, /without TLS: .*--tls-cert FILE --tls-key FILE, or --insecure-http/);
    const agent = await cli(['agent', '--api', stack.api], {
      env: { ...process.env, LOADLINE_AGENT_TOKEN: '' },
    });
    assert.equal(agent.code, 2);
    assert.match(agent.stderr, /LOADLINE_AGENT_TOKEN/);
    const inPs = await cli(['agent', '--redis', 'redis://agent:hunter2@127.0.0.1:6379']);
    assert.equal(inPs.code, 2);
    assert.match(inPs.stderr, /--redis: a password in a flag shows in `ps`/);
  });
});
