import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SATURATION_LIMITS, type GeneratorReading } from '@loadline/api';
import { GeneratorJudge, peakRateOf, saturatedBy, saturationLimits } from './saturation.js';

const T0 = 1_800_000_000;

function reading(second: number, over: Partial<GeneratorReading> = {}): GeneratorReading {
  return {
    second: T0 + second,
    sent: 1000,
    late: 0,
    dropped: 0,
    eventLoopDelayP99Ms: 2,
    cpu: 0.3,
    ...over,
  };
}

/** `seconds` readings of one agent, late ones where `late(i)` says so. */
function feed(
  judge: GeneratorJudge,
  agentId: string,
  seconds: number,
  at: (i: number) => Partial<GeneratorReading>,
) {
  for (let i = 0; i < seconds; i++) judge.observe(agentId, reading(i, at(i)));
}

describe('saturatedBy', () => {
  const limits = DEFAULT_SATURATION_LIMITS;
  it('counts a second late past 1 % of its sends, with at least 10 late', () => {
    assert.equal(saturatedBy(reading(0, { late: 11 }), limits), 'late');
    assert.equal(saturatedBy(reading(0, { late: 10 }), limits), undefined, '1.0 % is not past 1 %');
    // One late send of twenty is 5 %, and a timer's jitter: not saturation.
    assert.equal(saturatedBy(reading(0, { sent: 20, late: 1 }), limits), undefined);
  });
  it('counts a second whose event loop lagged past the limit', () => {
    assert.equal(saturatedBy(reading(0, { eventLoopDelayP99Ms: 51 }), limits), 'event-loop delay');
    assert.equal(saturatedBy(reading(0, { eventLoopDelayP99Ms: 50 }), limits), undefined);
  });
});

describe('GeneratorJudge', () => {
  it('passes generators that kept up, and totals what each did', () => {
    const judge = new GeneratorJudge();
    feed(judge, 'a1', 30, (i) => ({
      late: i === 7 ? 500 : 3,
      eventLoopDelayP99Ms: i === 20 ? 90 : 2,
    }));
    const check = judge.check({ agents: 1, peakRate: 1000 });
    assert.deepEqual(check.saturated, []);
    assert.equal(check.hint, undefined);
    assert.deepEqual(check.agents, [
      {
        agentId: 'a1',
        sent: 30_000,
        late: 29 * 3 + 500,
        dropped: 0,
        eventLoopDelayP99Ms: 90,
        cpu: 0.3,
      },
    ]);
  });

  it('finds the agent saturated for 5 consecutive seconds, with the stretch and a hint', () => {
    const judge = new GeneratorJudge();
    feed(judge, 'a1', 20, () => ({}));
    // a2 falls behind at 10 s and stays behind for 6 s, sending about 40,000 a second.
    feed(judge, 'a2', 20, (i) =>
      i >= 10 && i < 16 ? { sent: 40_000, late: 30_000, cpu: 1.01 } : { sent: 1000 },
    );
    const check = judge.check({ agents: 2, peakRate: 150_000 });
    assert.equal(check.saturated.length, 1);
    const [s] = check.saturated;
    assert.equal(s?.agentId, 'a2');
    assert.equal(s?.fromSecond, T0 + 10);
    assert.equal(s?.toSecond, T0 + 15);
    assert.equal(s?.seconds, 6);
    assert.equal(s?.lateShare, 0.75);
    assert.equal(s?.cpu, 1.01);
    assert.equal(s?.sentPerSecond, 40_000);
    // 150,000/s at 80 % of 40,000 each: 5 agents.
    assert.match(check.hint ?? '', /needs about 5 agents .*--agents 5/);
  });

  it('needs the seconds in a row: scattered bad seconds do not add up', () => {
    const judge = new GeneratorJudge();
    feed(judge, 'a1', 40, (i) => (i % 2 === 0 ? { late: 900 } : {}));
    assert.deepEqual(judge.check({ agents: 1 }).saturated, []);
    const four = new GeneratorJudge();
    feed(four, 'a1', 40, (i) => (i >= 3 && i < 7 ? { eventLoopDelayP99Ms: 300 } : {}));
    assert.deepEqual(four.check({ agents: 1 }).saturated, [], '4 s of 5 is not enough');
  });

  it('judges a run shorter than `for` on all of its seconds', () => {
    const judge = new GeneratorJudge();
    // A 3-second run, every second behind, then the drain's empty last interval.
    feed(judge, 'a1', 3, () => ({ sent: 37_000, late: 36_990, dropped: 100_000 }));
    judge.observe('a1', reading(3, { sent: 0, late: 0, dropped: 0, eventLoopDelayP99Ms: 1 }));
    const check = judge.check({ agents: 1, peakRate: 150_000 });
    assert.equal(check.saturated[0]?.seconds, 3);
    // A 3-second run with one cold first second is not saturated.
    const cold = new GeneratorJudge();
    feed(cold, 'a1', 3, (i) => (i === 0 ? { late: 400 } : {}));
    assert.deepEqual(cold.check({ agents: 1 }).saturated, []);
  });

  it("does not let a run's opening milliseconds, or a starved second, hide a saturated run", () => {
    // The run began 5 ms before a wall-clock second: its opening interval was on time.
    const opened = new GeneratorJudge();
    opened.observe('a1', reading(0, { sent: 900, late: 0, ms: 5 }));
    feed(opened, 'a1', 2, () => ({ sent: 16_000, late: 15_990, dropped: 280_000 }));
    assert.equal(opened.check({ agents: 1 }).saturated.length, 1, 'behind after its opening');
    // A starved second sent almost nothing (it dropped the rest): it neither breaks the
    // stretch nor counts as a second the generator kept up in.
    const starved = new GeneratorJudge();
    feed(starved, 'a1', 4, (i) =>
      i === 2 ? { sent: 6, late: 6, dropped: 290_000 } : { sent: 16_000, late: 15_990 },
    );
    const [saturated] = starved.check({ agents: 1 }).saturated;
    assert.equal(saturated?.seconds, 3);
    assert.equal(saturated?.toSecond, T0 + 3);
    // A run of one interval is judged on it.
    const brief = new GeneratorJudge();
    brief.observe('a1', reading(0, { sent: 16_000, late: 15_000 }));
    assert.equal(brief.check({ agents: 1 }).saturated[0]?.seconds, 1);
    // A longer one on time counts, though: that run was not behind all along.
    const onTime = new GeneratorJudge();
    onTime.observe('a1', reading(0, { sent: 900, late: 0, ms: 400 }));
    feed(onTime, 'a1', 2, () => ({ sent: 16_000, late: 15_990 }));
    assert.deepEqual(onTime.check({ agents: 1 }).saturated, []);
    // Nor is a cold first second of a two-second run that then kept up saturation, nor one
    // lagging second of a one-second trickle (20/s: the ACL run's), nor a slow trickle with
    // one lagging second, nor a trickle too thin to judge.
    const cold = new GeneratorJudge();
    feed(cold, 'a1', 2, (i) => (i === 0 ? { late: 400 } : {}));
    assert.deepEqual(cold.check({ agents: 1 }).saturated, []);
    const acl = new GeneratorJudge();
    acl.observe('a1', reading(0, { sent: 12 }));
    acl.observe('a1', reading(1, { sent: 8, eventLoopDelayP99Ms: 70 }));
    assert.deepEqual(acl.check({ agents: 1 }).saturated, []);
    const slow = new GeneratorJudge();
    feed(slow, 'a1', 4, (i) => ({ sent: 5, ...(i === 1 ? { eventLoopDelayP99Ms: 70 } : {}) }));
    assert.deepEqual(slow.check({ agents: 1 }).saturated, []);
    const trickle = new GeneratorJudge();
    feed(trickle, 'a1', 10, () => ({ sent: 5, late: 5 }));
    assert.deepEqual(trickle.check({ agents: 1 }).saturated, []);
  });

  it('takes its limits from a setting, the rest defaulted', () => {
    const limits = saturationLimits({ forS: 2 });
    assert.deepEqual(limits, { ...DEFAULT_SATURATION_LIMITS, forS: 2 });
    const judge = new GeneratorJudge(limits);
    feed(judge, 'a1', 10, (i) => (i === 4 || i === 5 ? { eventLoopDelayP99Ms: 70 } : {}));
    const check = judge.check({ agents: 3 });
    assert.equal(check.saturated[0]?.seconds, 2);
    // No rate to plan from (a closed model): spread the users.
    assert.match(check.hint ?? '', /event-loop delay p99 70 ms.*--agents 6/);
  });

  it('never suggests fewer agents than ran', () => {
    const judge = new GeneratorJudge();
    feed(judge, 'a1', 6, () => ({ sent: 5000, late: 4000 }));
    assert.match(judge.check({ agents: 4, peakRate: 8000 }).hint ?? '', /--agents 5\b/);
  });
});

describe('peakRateOf', () => {
  it('is the highest rate of a profile', () => {
    assert.equal(peakRateOf({ startRate: 5, stages: [{ target: 50 }, { target: 20 }] }), 50);
    assert.equal(peakRateOf({ startRate: 70, stages: [] }), 70);
  });
});
