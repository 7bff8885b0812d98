// End to end: where `loadline validate`, `run --local`, `run` (through control) and
// `schedule add` may read feeder files from — real files, a real symlink, a real target,
// and a stand-in control that must receive nothing when a feeder path is refused.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, closeHttp, serveHttp } from './support.js';

const root = mkdtempSync(join(tmpdir(), 'loadline-feeder-paths-'));
const scenarios = join(root, 'scenarios');
const outside = join(root, 'outside');
mkdirSync(join(scenarios, 'data'), { recursive: true });
mkdirSync(outside);
writeFileSync(join(scenarios, 'data', 'users.csv'), 'token\nfine-1\nfine-2\n');
writeFileSync(join(outside, 'secret.csv'), 'token\nsecret-1\nsecret-2\n');
symlinkSync(join(outside, 'secret.csv'), join(scenarios, 'data', 'linked.csv'));

let target: http.Server;
let base = '';
const tokens: string[] = [];
let control: http.Server;
let api = '';
let controlCalls = 0;

before(async () => {
  ({ server: target, base } = await serveHttp((req, res) => {
    tokens.push(String(req.headers['x-token']));
    res.end('{}');
  }));
  ({ server: control, base: api } = await serveHttp((_req, res) => {
    controlCalls++;
    res.statusCode = 500;
    res.end();
  }));
});
after(() => {
  closeHttp(target);
  closeHttp(control);
});

function scenario(name: string, feederFile: string): string {
  const file = join(scenarios, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      `target: ${base}`,
      'load: { rate: 10, duration: 300ms }',
      'feeders:',
      `  users: { file: ${JSON.stringify(feederFile)} }`,
      'flows:',
      '  - name: f',
      '    steps: [{ name: s, request: { path: /, headers: { x-token: "${users.token}" } } }]',
      '',
    ].join('\n'),
  );
  return file;
}

const refusals: Array<[string, string, RegExp]> = [
  ['escapes', '../outside/secret.csv', /"\.\.\/outside\/secret\.csv" leaves that folder/],
  ['absolute', join(outside, 'secret.csv'), /is an absolute path/],
  ['passwd', '/etc/passwd', /"\/etc\/passwd" is an absolute path/],
  ['linked', 'data/linked.csv', /resolves through a symlink to .*outside\/secret\.csv/],
];

describe('feeder files stay under the scenario folder unless --allow-path allows more', () => {
  it('validate says where and why (exit 2), and accepts them with --allow-path', async () => {
    for (const [name, feeder, why] of refusals) {
      const file = scenario(name, feeder);
      const result = await cli(['validate', file]);
      assert.equal(result.code, 2, `${name}: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`${name}\\.yaml:5:\\d+ feeders\\.users\\.file: `));
      assert.match(result.stderr, why, name);
      assert.match(result.stderr, /allow another folder with --allow-path DIR/);
      if (name === 'passwd') continue;
      const allowed = await cli(['validate', file, '--allow-path', outside]);
      assert.equal(allowed.code, 0, `${name} with --allow-path: ${allowed.stderr}`);
    }
    const inside = await cli(['validate', scenario('inside', 'data/users.csv')]);
    assert.equal(inside.code, 0, inside.stderr);
  });

  it('run --local refuses before sending anything (exit 2); --allow-path lets it run', async () => {
    for (const [name, feeder, why] of refusals) {
      tokens.length = 0;
      const result = await cli(['run', scenario(name, feeder), '--local']);
      assert.equal(result.code, 2, `${name}: ${result.stderr}`);
      assert.match(result.stderr, why, name);
      assert.match(result.stderr, /nothing was run/);
      assert.deepEqual(tokens, [], `${name}: the target received nothing`);
    }
    tokens.length = 0;
    const allowed = await cli([
      'run',
      scenario('allowed', '../outside/secret.csv'),
      '--local',
      '--allow-path',
      outside,
    ]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.ok(tokens.length > 0 && tokens.every((t) => t.startsWith('secret-')), String(tokens));
  });

  it('run and schedule add refuse before anything reaches control (exit 2)', async () => {
    for (const [name, feeder, why] of refusals) {
      for (const args of [
        ['run', scenario(name, feeder), '--api', api],
        ['schedule', 'add', scenario(name, feeder), '--cron', '0 2 * * *', '--api', api],
      ]) {
        const result = await cli(args);
        assert.equal(result.code, 2, `${args[0]} ${name}: ${result.stderr}`);
        assert.match(result.stderr, why, `${args[0]} ${name}`);
        assert.match(result.stderr, /nothing was submitted/);
      }
    }
    assert.equal(controlCalls, 0, 'control received no rows, and no request at all');
    // Allowed, the rows are read and sent: the stand-in control is reached.
    const allowed = await cli([
      'run',
      scenario('upload', '../outside/secret.csv'),
      '--api',
      api,
      '--allow-path',
      outside,
    ]);
    assert.notEqual(allowed.code, 0);
    assert.ok(controlCalls > 0, allowed.stderr);
  });
});
