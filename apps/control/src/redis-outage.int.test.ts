// A Redis restart mid-run, for real: Debian's redis-server, started here on a port of its
// own with an append-only file, killed (SIGKILL) while a run goes and started again on the
// same port and files. Control and the agent reconnect; nothing delivered is lost.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { redisAnswers } from '@loadline/queue';
import { ended, launchScenario, startStack, type TestStack, waitForRunStatus } from './testing.js';
import { freePort, RedisProcesses, redisServerMissing } from './testing-redis.js';

const skip = redisServerMissing();
const processes = new RedisProcesses();
let port = 0;
let stack: TestStack | undefined;

/** redis-server on `port`, its append-only file in the processes' directory (every write synced). */
async function startRedis(): Promise<void> {
  processes.start('redis', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    processes.dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    '--save',
    '',
  ]);
  for (let i = 0; i < 100; i++) {
    if (await redisAnswers(`redis://127.0.0.1:${port}`, 200)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not start on port ${port}`);
}

describe('a Redis restart mid-run (real redis-server, AOF)', { skip }, () => {
  before(async () => {
    port = await freePort();
    await startRedis();
    const redis = { url: `redis://127.0.0.1:${port}`, namespace: 'loadline-outage' };
    stack = await startStack(redis, 'loadline-redis-outage-');
  });

  after(async () => {
    // A private Redis, killed last: nothing of it to clean up.
    await stack?.stop();
    await processes.stop();
  });

  it('carries on through a 2 s Redis restart: the run passes and every request is stored', async () => {
    const { api, target, served } = stack as TestStack;
    const id = await launchScenario(
      api,
      `name: through-redis-restart
target: ${target}
agents: 1
load: { rate: 50, duration: 10s }
flows: [{ name: f, steps: [{ name: s, request: { path: / } }] }]
`,
    );
    await waitForRunStatus(api, id, (s) => s === 'running', 10_000);
    await new Promise((r) => setTimeout(r, 3000));
    await processes.kill('redis');
    const servedWhenKilled = served.length;
    await new Promise((r) => setTimeout(r, 2000));
    await startRedis();
    const run = await waitForRunStatus(api, id, ended, 30_000);
    assert.ok(served.length > servedWhenKilled, 'the agent kept sending through the outage');
    assert.equal(run.status, 'passed', run.abortReason);
    // Every request the target answered is stored and judged: none lost in the outage.
    assert.equal(served.length, 500);
    assert.equal(run.summary.total.requests, served.length);
    assert.equal(run.live.requests, served.length);
  });
});
