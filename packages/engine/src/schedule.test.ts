import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ArrivalSchedule,
  arrivalsBy,
  constantRate,
  parseStages,
  profileDurationMs,
  type RateProfile,
  scaledArrivalsBy,
} from './schedule.js';

function allArrivals(profile: RateProfile): number[] {
  const schedule = new ArrivalSchedule(profile);
  const times: number[] = [];
  for (let t = schedule.next(); t !== undefined; t = schedule.next()) times.push(t);
  return times;
}

describe('ArrivalSchedule', () => {
  it('spaces a constant rate exactly: 5000 rps for 10 s is 50,000 arrivals 0.2 ms apart', () => {
    const times = allArrivals(constantRate(5000, 10_000));
    assert.equal(times.length, 50_000);
    assert.equal(times[0], 0);
    for (const k of [1, 2, 17, 12_345, 49_999]) {
      assert.ok(Math.abs((times[k] as number) - k * 0.2) < 1e-6, `arrival ${k} at ${times[k]}`);
    }
    assert.ok((times.at(-1) as number) < 10_000);
  });

  it('rounds a fractional total up: 3 rps for 1.5 s schedules 5 (t = 0, ⅓, ⅔, 1, 1⅓ s)', () => {
    const times = allArrivals(constantRate(3, 1500));
    assert.equal(times.length, 5);
    assert.ok(Math.abs((times[4] as number) - 4000 / 3) < 1e-6);
  });

  it('follows a linear ramp: arrival k is where the integral of the rate reaches k', () => {
    const profile: RateProfile = { startRate: 0, stages: [{ durationMs: 10_000, target: 1000 }] };
    const times = allArrivals(profile);
    // ∫0^10s of 100·t dt = 5000 arrivals; N(t) = 50 t² (t in s) so t_k = √(k/50) s.
    assert.equal(times.length, 5000);
    for (const k of [1, 50, 200, 1250, 4999]) {
      const expected = Math.sqrt(k / 50) * 1000;
      assert.ok(Math.abs((times[k] as number) - expected) < 1e-6, `arrival ${k}`);
    }
    // Rate doubles across the ramp: the second half of the time holds 3/4 of arrivals.
    const secondHalf = times.filter((t) => t >= 5000).length;
    assert.equal(secondHalf, 3750);
  });

  it('ramps down and through multiple stages, matching arrivalsBy at every second', () => {
    const profile: RateProfile = {
      startRate: 0,
      stages: [
        { durationMs: 2000, target: 400 },
        { durationMs: 3000, target: 400 },
        { durationMs: 2000, target: 100 },
        { durationMs: 1000, target: 0 },
      ],
    };
    const times = allArrivals(profile);
    assert.equal(times.length, Math.ceil(arrivalsBy(profile, profileDurationMs(profile)) - 1e-9));
    for (let s = 1; s <= 8; s++) {
      const expected = Math.ceil(arrivalsBy(profile, s * 1000) - 1e-9);
      const actual = times.filter((t) => t < s * 1000).length;
      assert.ok(Math.abs(actual - expected) <= 1, `by ${s}s: ${actual} vs ${expected}`);
    }
    for (let i = 1; i < times.length; i++) {
      assert.ok((times[i] as number) >= (times[i - 1] as number), 'times are monotonic');
    }
  });

  it('schedules nothing in a zero-rate stage', () => {
    const profile: RateProfile = {
      startRate: 0,
      stages: [
        { durationMs: 1000, target: 0 },
        { durationMs: 1000, target: 100 },
      ],
    };
    const times = allArrivals(profile);
    assert.equal(times.length, 50);
    assert.ok(times.slice(1).every((t) => t > 1000));
  });
});

describe('ArrivalSchedule with a rate multiplier', () => {
  /** Arrivals up to `atMs`, then the multiplier, then the rest (as a running dispatch does). */
  function withChange(profile: RateProfile, atMs: number, multiplier: number): number[] {
    const schedule = new ArrivalSchedule(profile);
    const times: number[] = [];
    let t = schedule.next();
    while (t !== undefined && t < atMs) {
      times.push(t);
      t = schedule.next();
    }
    if (t !== undefined) schedule.retract();
    schedule.setMultiplier(multiplier, atMs);
    for (t = schedule.next(); t !== undefined; t = schedule.next()) times.push(t);
    return times;
  }

  it('doubles a constant rate from the change on: 100/s for 10 s, ×2 at 4 s is 400 + 1200', () => {
    const times = withChange(constantRate(100, 10_000), 4000, 2);
    assert.equal(times.length, 1600);
    assert.equal(times.filter((t) => t < 4000).length, 400);
    // After the change, 5 ms apart (200/s), the first on the change itself.
    assert.ok(Math.abs((times[400] as number) - 4000) < 1e-6, `first after: ${times[400]}`);
    assert.ok(Math.abs((times[401] as number) - 4005) < 1e-6);
    assert.ok((times.at(-1) as number) < 10_000);
  });

  it('scales a ramp: the count after the change is the profile’s count times the multiplier', () => {
    const profile = { startRate: 0, stages: [{ durationMs: 10_000, target: 1000 }] };
    const times = withChange(profile, 5000, 0.5);
    const before = arrivalsBy(profile, 5000);
    const after = arrivalsBy(profile, 10_000) - before;
    assert.equal(times.length, Math.ceil(before + 0.5 * after - 1e-9));
    for (const t of [6000, 8000, 10_000]) {
      const expected = before + 0.5 * (arrivalsBy(profile, t) - before);
      const counted = times.filter((x) => x < t).length;
      assert.ok(Math.abs(counted - expected) <= 1, `by ${t} ms: ${counted}, expected ${expected}`);
    }
    for (let i = 1; i < times.length; i++)
      assert.ok((times[i] as number) >= (times[i - 1] as number));
  });

  it('applies changes one after another and before the start', () => {
    const schedule = new ArrivalSchedule(constantRate(100, 3000));
    schedule.setMultiplier(3, 0);
    assert.equal(schedule.totalArrivals, 900);
    const times: number[] = [];
    for (let t = schedule.next(); t !== undefined && t < 1000; t = schedule.next()) times.push(t);
    schedule.retract();
    schedule.setMultiplier(1, 1000);
    for (let t = schedule.next(); t !== undefined; t = schedule.next()) times.push(t);
    assert.equal(times.length, 300 + 200);
    assert.throws(() => schedule.setMultiplier(0, 2000), /positive number/);
  });
});

describe('parseStages', () => {
  it('parses DURATION:RATE lists', () => {
    assert.deepEqual(parseStages('30s:1000, 1m:5000'), [
      { durationMs: 30_000, target: 1000 },
      { durationMs: 60_000, target: 5000 },
    ]);
  });

  it('says which stage is wrong and why', () => {
    assert.match(parseStages('30s:1000,60s') as string, /stage 2 "60s" is not DURATION:RATE/);
    assert.match(parseStages('10 parsecs:5') as string, /stage 1 duration "10 parsecs"/);
    assert.match(parseStages('10s:-5') as string, /stage 1 rate "-5"/);
    assert.match(parseStages('10s:') as string, /stage 1 rate ""/);
  });
});

describe('scaledArrivalsBy: live rate changes', () => {
  const profile = constantRate(100, 10_000);
  it('counts each stretch at its multiplier: ×2 from 4 s of 100/s × 10 s is 400 + 1200', () => {
    assert.equal(scaledArrivalsBy(profile, [], 10_000), 1000);
    assert.equal(scaledArrivalsBy(profile, [{ fromMs: 4000, multiplier: 2 }], 10_000), 1600);
    const twice = [
      { fromMs: 2000, multiplier: 3 },
      { fromMs: 5000, multiplier: 0.5 },
    ];
    assert.equal(scaledArrivalsBy(profile, twice, 10_000), 200 + 900 + 250);
    // A change before the start holds from the start.
    assert.equal(scaledArrivalsBy(profile, [{ fromMs: -300, multiplier: 2 }], 1000), 200);
  });

  it('is what a schedule whose multiplier changed plans, and where it sends', () => {
    const changes = [
      { fromMs: 2000, multiplier: 3 },
      { fromMs: 5000, multiplier: 0.5 },
    ];
    const schedule = new ArrivalSchedule(profile);
    const sent: number[] = [];
    // Each change as the runner applies it: when its time comes, the next arrival asked again.
    for (const change of [...changes, undefined]) {
      const until = change?.fromMs ?? Number.POSITIVE_INFINITY;
      let at = schedule.next();
      for (; at !== undefined && at < until; at = schedule.next()) sent.push(at);
      if (!change) break;
      if (at !== undefined) schedule.retract();
      schedule.setMultiplier(change.multiplier, change.fromMs);
    }
    assert.equal(schedule.totalArrivals, Math.ceil(scaledArrivalsBy(profile, changes, 10_000)));
    assert.equal(sent.length, 1350);
    // Each second holds what the rule says of it.
    for (let s = 0; s < 10; s++) {
      const inSecond = sent.filter((t) => t >= s * 1000 && t < (s + 1) * 1000).length;
      const planned =
        scaledArrivalsBy(profile, changes, (s + 1) * 1000) -
        scaledArrivalsBy(profile, changes, s * 1000);
      assert.ok(Math.abs(inSecond - planned) <= 1, `second ${s}: ${inSecond} vs ${planned}`);
    }
  });
});
