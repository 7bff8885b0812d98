import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReplayRequest } from './corpus.js';
import { assignSessions, planReplay, type ReplayPlan } from './schedule.js';

/** A one-minute corpus: bursty arrivals (exponential gaps), 40 sessions of uneven size. */
function oneMinuteCorpus(): { requests: ReplayRequest[] } {
  let seed = 7;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const times: number[] = [];
  for (let t = 0; t < 60_000; t += -Math.log(1 - random()) * 50) times.push(t);
  const scale = 60_000 / times.at(-1)!;
  return {
    requests: times.map((t, i) => ({
      offsetMs: Math.round(t * scale * 1000) / 1000,
      method: 'GET',
      path: `/r/${i}`,
      headers: [],
      // Session sizes skewed: session 0 gets many more requests than session 39.
      sessionKey: `s${Math.floor(40 * random() ** 2)}`,
      source: { line: i + 1 },
    })),
  };
}

function allSends(plan: ReplayPlan) {
  return plan.shards.flatMap((shard) =>
    [...shard.sends()].map((send) => ({ ...send, agent: shard.agent })),
  );
}

describe('replay schedule', () => {
  const corpus = oneMinuteCorpus();

  it('speed 2: a one-minute corpus spans 30 s, every inter-arrival halved (within 5%)', () => {
    const plan = planReplay(corpus, { speed: 2, agents: 4 });
    assert.ok(Math.abs(plan.durationMs - 30_000) <= 30_000 * 0.05, `span ${plan.durationMs}`);
    const sends = allSends(plan).sort((a, b) => a.index - b.index);
    let checked = 0;
    for (let i = 1; i < sends.length; i++) {
      const original = corpus.requests[i]!.offsetMs - corpus.requests[i - 1]!.offsetMs;
      const scheduled = sends[i]!.at - sends[i - 1]!.at;
      if (original < 1) continue; // sub-ms gaps: 5% of nothing is rounding noise
      assert.ok(
        Math.abs(scheduled - original / 2) <= (original / 2) * 0.05,
        `gap ${i}: ${scheduled} vs ${original / 2}`,
      );
      checked++;
    }
    assert.ok(checked > 1000, `only ${checked} gaps checked`);
  });

  it('rate: re-rated to a fixed rate in the original order', () => {
    const plan = planReplay(corpus, { rate: 100, agents: 3 });
    const sends = allSends(plan).sort((a, b) => a.index - b.index);
    assert.equal(plan.durationMs, ((corpus.requests.length - 1) * 1000) / 100);
    assert.ok(sends.every((s, i) => s.at === i * 10));
  });

  it('drops nothing, and keeps each session on one agent in its original order', () => {
    const plan = planReplay(corpus, { speed: 1, agents: 5 });
    const sends = allSends(plan);
    assert.equal(sends.length, corpus.requests.length);
    assert.equal(new Set(sends.map((s) => s.index)).size, corpus.requests.length);
    const agentOf = new Map<string, number>();
    for (const shard of plan.shards) {
      let last = -1;
      const lastIndex = new Map<string, number>();
      for (const send of shard.sends()) {
        assert.ok(send.at >= last, 'shard not in time order');
        last = send.at;
        const key = send.request.sessionKey;
        assert.equal(agentOf.get(key) ?? shard.agent, shard.agent, `session ${key} split`);
        agentOf.set(key, shard.agent);
        assert.ok(send.index > (lastIndex.get(key) ?? -1), `session ${key} reordered`);
        lastIndex.set(key, send.index);
      }
    }
    assert.equal(
      plan.shards.reduce((n, s) => n + s.sessions, 0),
      plan.sessions,
    );
  });

  it('balances requests: no agent over 1.02 × its fair share, none under 0.9 ×', () => {
    const sizes = new Map(
      Array.from({ length: 1000 }, (_, i) => [`user-${i}`, 1 + (i % 7)] as [string, number]),
    );
    const total = [...sizes.values()].reduce((a, b) => a + b, 0);
    const placement = assignSessions(sizes, 8);
    const load = new Array<number>(8).fill(0);
    for (const [key, agent] of placement) load[agent]! += sizes.get(key)!;
    assert.ok(Math.max(...load) <= Math.ceil((total / 8) * 1.02), `loads ${load}`);
    assert.ok(Math.min(...load) >= (total / 8) * 0.9, `loads ${load}`);
  });

  it('is stable: adding sessions moves few of the existing ones', () => {
    const sizes = new Map(
      Array.from({ length: 500 }, (_, i) => [`user-${i}`, 1] as [string, number]),
    );
    const before = assignSessions(sizes, 4);
    for (let i = 500; i < 550; i++) sizes.set(`user-${i}`, 1);
    const after = assignSessions(sizes, 4);
    let moved = 0;
    for (const [key, agent] of before) if (after.get(key) !== agent) moved++;
    assert.ok(moved < 50, `${moved} of 500 sessions moved`);
    assert.deepEqual(assignSessions(sizes, 4), after, 'not deterministic');
  });

  it('rejects speed and rate together, and zero agents', () => {
    assert.throws(
      () => planReplay(corpus, { speed: 2, rate: 10, agents: 1 }),
      /speed or rate, not both/,
    );
    assert.throws(() => planReplay(corpus, { agents: 0 }));
  });
});
