// End to end: a bad environment variable is bad input, named, before anything starts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cli, root } from './support.js';

function demoMall(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(root, 'apps', 'demo-mall', 'dist', 'main.js'), '--port', '0'],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('bad environment variables', () => {
  it('loadline: exit 2, naming the variable and why', async () => {
    const runs = await cli(['runs'], { env: { ...process.env, LOADLINE_API: 'not a url' } });
    assert.equal(runs.code, 2, runs.stderr);
    assert.equal(
      runs.stderr,
      'loadline: LOADLINE_API: expected an http:// or https:// URL like http://127.0.0.1:7700, got "not a url"\n',
    );
    const agent = await cli(['agent'], {
      env: { ...process.env, REDIS_URL: 'redis://127.0.0.1:63x9', LOADLINE_NAMESPACE: 'a b' },
    });
    assert.equal(agent.code, 2, agent.stderr);
    assert.match(agent.stderr, /^loadline: REDIS_URL: port "63x9" is not a number/);
    assert.match(
      agent.stderr,
      /; LOADLINE_NAMESPACE: expected a Redis key namespace without spaces\n$/,
    );
  });

  it('loadline: Redis topology settings that are bad or contradict each other', async () => {
    const token = `llt_${'a'.repeat(43)}`;
    const bad = await cli(['agent'], {
      env: { ...process.env, LOADLINE_AGENT_TOKEN: token, REDIS_SENTINELS: '10.0.0.1' },
    });
    assert.equal(bad.code, 2, bad.stderr);
    assert.equal(
      bad.stderr,
      'loadline: REDIS_SENTINELS: "10.0.0.1" is not host:port (a Sentinel, e.g. 10.0.0.5:26379)\n',
    );
    // Each valid alone, not together: refused before control opens any store.
    const both = await cli(['control'], {
      env: {
        ...process.env,
        REDIS_SENTINELS: '10.0.0.1:26379',
        REDIS_CLUSTER_NODES: '10.0.0.2:6379',
      },
    });
    assert.equal(both.code, 2, both.stderr);
    assert.match(
      both.stderr,
      /^loadline: REDIS_CLUSTER_NODES: set REDIS_CLUSTER_NODES or REDIS_SENTINELS, not both/,
    );
  });

  it('loadline: a command that reads no variable does not fail on one', async () => {
    const result = await cli(['validate', join(root, 'scenarios', 'demo-browse-buy.yaml')], {
      env: { ...process.env, LOADLINE_API: 'not a url' },
    });
    assert.equal(result.code, 0, result.stderr);
  });

  it('demo mall: exit 2, naming the variable', async () => {
    const result = await demoMall({ DATABASE_URL: 'mysql://app:hunter2@db/shop' });
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /^demo mall: DATABASE_URL: expected a postgres:\/\/ or postgresql:\/\/ URL like postgres:\/\/user@host:5432\/db, got "mysql:\/\/app:\*\*\*@db\/shop"\n/,
    );
  });
});
