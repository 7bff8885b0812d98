import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Scenario } from '@loadline/scenario';
import { compileScenario } from './compile.js';
import { FeederError, loadFeederRows, resolveFeederFile } from './feeders.js';

// A scenario folder with its own data, a secret beside it, and links out of it.
const root = mkdtempSync(join(tmpdir(), 'loadline-feeders-'));
const scenarios = join(root, 'scenarios');
const outside = join(root, 'outside');
mkdirSync(join(scenarios, 'data'), { recursive: true });
mkdirSync(outside);
writeFileSync(join(scenarios, 'data', 'users.csv'), 'id\n1\n2\n');
writeFileSync(join(outside, 'secret.csv'), 'token\nhunter2\n');
symlinkSync(join(outside, 'secret.csv'), join(scenarios, 'data', 'linked.csv'));
symlinkSync(outside, join(scenarios, 'elsewhere'));
symlinkSync(join(scenarios, 'data', 'users.csv'), join(scenarios, 'alias.csv'));

const all = { index: 0, count: 1 };
const rowsOf = (file: string, allowedDirs: string[] = []) =>
  loadFeederRows('users', { file, order: 'sequential' }, { baseDir: scenarios, allowedDirs }, all);

describe('feeder files', () => {
  it('reads files under the scenario folder, through symlinks that stay inside it', () => {
    assert.deepEqual(rowsOf('data/users.csv'), [{ id: '1' }, { id: '2' }]);
    assert.deepEqual(rowsOf('./data/../alias.csv'), [{ id: '1' }, { id: '2' }]);
  });

  it('refuses a path that leaves the folder, an absolute path and a symlink out, saying why', () => {
    const cases: Array<[string, RegExp]> = [
      [
        '../outside/secret.csv',
        /feeders\.users\.file: "\.\.\/outside\/secret\.csv" leaves that folder/,
      ],
      [join(outside, 'secret.csv'), /is an absolute path/],
      ['/etc/passwd', /"\/etc\/passwd" is an absolute path/],
      ['data/linked.csv', /resolves through a symlink to .*outside\/secret\.csv/],
      ['elsewhere/secret.csv', /resolves through a symlink/],
    ];
    for (const [file, message] of cases) {
      assert.throws(() => rowsOf(file), FeederError, file);
      assert.throws(() => rowsOf(file), message, file);
      assert.throws(() => rowsOf(file), /allow another folder with --allow-path DIR/, file);
    }
  });

  it('reads from a folder the user allowed, and only from there', () => {
    assert.deepEqual(rowsOf(join(outside, 'secret.csv'), [outside]), [{ token: 'hunter2' }]);
    assert.deepEqual(rowsOf('../outside/secret.csv', [outside]), [{ token: 'hunter2' }]);
    assert.deepEqual(rowsOf('data/linked.csv', [outside]), [{ token: 'hunter2' }]);
    assert.throws(() => rowsOf('/etc/passwd', [outside]), /is an absolute path/);
    assert.throws(() => rowsOf(join(root, 'outside-not', 'x.csv'), [outside]), /absolute path/);
  });

  it('says when the file is missing, and returns the real path it reads', () => {
    assert.throws(() => rowsOf('data/none.csv'), /feeders\.users\.file: cannot read .* \(ENOENT\)/);
    assert.equal(
      resolveFeederFile('users', 'alias.csv', { baseDir: scenarios }),
      join(scenarios, 'data', 'users.csv'),
    );
  });
});

describe('compileScenario without a folder', () => {
  const scenario = Scenario.parse({
    name: 'agent-side',
    target: 'http://127.0.0.1:9',
    load: { rate: 1, duration: '1s' },
    feeders: { users: { file: join(outside, 'secret.csv') } },
    flows: [
      {
        name: 'f',
        steps: [{ name: 's', request: { path: '/', headers: { 'x-user': '${users.token}' } } }],
      },
    ],
  });

  it('never reads a file: a feeder without rows refuses the compile, naming it', () => {
    assert.throws(
      () => compileScenario(scenario, { feederRows: {} }),
      /feeders\.users: no rows were given for it, and this run reads no files/,
    );
    const plan = compileScenario(scenario, { feederRows: { users: [{ token: 'from-the-job' }] } });
    assert.deepEqual(plan.feeders.users?.next(), { token: 'from-the-job' });
  });
});
