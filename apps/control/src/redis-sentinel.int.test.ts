// Redis behind Sentinel, for real: Debian's redis-server as master and replica and one
// Sentinel, started here. Control and an agent reach Redis only through the Sentinel
// (REDIS_SENTINELS); the master is killed (SIGKILL) while a run goes, the Sentinel promotes
// the replica, and every connection (commands, BullMQ's, the results readers, the signal
// subscriber) follows it. The test measures how long results stopped reaching Redis.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RedisTopology } from '@loadline/config';
import { connectRedis, redisAnswers } from '@loadline/queue';
import {
  ended,
  LENIENT_SATURATION,
  launchScenario,
  startStack,
  type TestRedis,
  type TestStack,
  waitForRunStatus,
} from './testing.js';
import {
  cli,
  redisServerMissing,
  type SentinelSet,
  startSentinelSet,
  until,
} from './testing-redis.js';

const skip = redisServerMissing();

let set: SentinelSet | undefined;
let stack: TestStack | undefined;
let redis: TestRedis;
const GRACE_MS = 5000;
type SentinelTopology = Extract<RedisTopology, { kind: 'sentinel' }>;

/** The longest wait between two consecutive times of `times` (ascending) within [from, to]. */
function longestGap(times: number[], from: number, to: number): number {
  const inside = times.filter((t) => t >= from && t <= to);
  let gap = 0;
  for (let i = 1; i < inside.length; i++) {
    gap = Math.max(gap, (inside[i] as number) - (inside[i - 1] as number));
  }
  return gap;
}

describe('Redis behind Sentinel: the master killed mid-run (real redis-server)', { skip }, () => {
  before(async () => {
    set = await startSentinelSet('loadline-test');
    redis = {
      // The host here is not used (the Sentinel names the master): a wrong one proves it.
      url: 'redis://192.0.2.1:1',
      namespace: 'loadline-sentinel',
      topology: { kind: 'sentinel', sentinels: set.sentinels, master: set.name },
    };
    // What `loadline control` and `agent` check before they start: the Sentinel answers for
    // its master, and not for a master it does not watch.
    assert.equal(await redisAnswers(redis.url, 1000, undefined, redis.topology), true);
    const unknown = { ...(redis.topology as SentinelTopology), master: 'not-watched' };
    assert.equal(await redisAnswers(redis.url, 1000, undefined, unknown), false);
    stack = await startStack(redis, 'loadline-redis-sentinel-', {
      control: {
        saturation: LENIENT_SATURATION,
        // Agents stop when they hear no control signal for this long: a signal subscriber
        // that did not follow the failover would stop the agent 5 s after the kill, before
        // the run's end 7 s after it (so the test would see fewer requests served).
        controlGraceMs: GRACE_MS,
      },
    });
  });

  after(async () => {
    // Private Redis processes, killed last: nothing of theirs to clean up.
    await stack?.stop();
    await set?.processes.stop();
  });

  it('fails over to the replica: the run goes on and passes, and results pause for about the failover', async (t) => {
    const sentinelSet = set as SentinelSet;
    const { api, target, served } = stack as TestStack;
    const id = await launchScenario(
      api,
      `name: through-failover
target: ${target}
agents: 1
load: { rate: 50, duration: 10s }
flows: [{ name: f, steps: [{ name: s, request: { path: / } }] }]
`,
    );
    await waitForRunStatus(api, id, (s) => s === 'running', 10_000);
    await new Promise((r) => setTimeout(r, 3000));
    const killedAt = Date.now();
    await sentinelSet.processes.kill('master');
    await until(
      'the replica promoted',
      async () => (await cli(sentinelSet.replica, 'ROLE')).startsWith('master'),
      10_000,
    );
    const promotedAfterMs = Date.now() - killedAt;
    const run = await waitForRunStatus(api, id, ended, 30_000);
    const endedAt = Date.now();
    assert.equal(
      run.status,
      'passed',
      `${run.abortReason ?? ''} ${JSON.stringify(run.summary?.generators ?? run.summary).slice(0, 1500)}`,
    );
    // The agent never stopped sending: its load does not wait on Redis, and it heard control
    // again within its grace (its signal subscriber followed the failover).
    assert.equal(served.length, 500);
    // What reached the new master: the results stream's entry ids are the times Redis took
    // each entry. One agent pushes one interval a second, so a gap past ~1 s is the pause.
    const reader = connectRedis(redis.url, { topology: redis.topology });
    const entries = await reader.xrange('loadline-sentinel:results', '-', '+');
    reader.disconnect();
    const entryTimes = entries.map(([entryId]) => Number(entryId.split('-')[0]));
    const resultsGapMs = longestGap(entryTimes, killedAt - 5000, endedAt);
    const requestsGapMs = longestGap(served, killedAt - 5000, endedAt);
    const stored = run.summary.total.requests as number;
    t.diagnostic(
      `master killed; replica promoted after ${promotedAfterMs} ms; longest gap between results reaching Redis ${resultsGapMs} ms (1000 ms without a failover); longest gap between requests at the target ${requestsGapMs} ms; requests served ${served.length}, stored ${stored}`,
    );
    // Redis replicates asynchronously: results the master took in its last moments may not
    // have reached the replica. At most the intervals of the pause can be missing (50 a second).
    assert.ok(
      served.length - stored <= Math.ceil((resultsGapMs / 1000) * 50) + 50,
      `stored ${stored}`,
    );
    assert.ok(stored >= 400, `stored ${stored}`);
    // The pause is the failover (1 s to call the master down, then the election), not more,
    // and shorter than the agents' grace (or they would have stopped).
    assert.ok(resultsGapMs < GRACE_MS, `results paused ${resultsGapMs} ms`);
    // The agent's load never waits on Redis: a gap at the target is scheduling noise on a
    // busy machine, far below the failover.
    assert.ok(requestsGapMs < 1500, `the agent paused sending for ${requestsGapMs} ms`);
  });
});
