import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeCapacity, formatCapacity } from './capacity.js';
import { kneeUtilisation } from './knee.js';
import { uslThroughput } from './usl-model.js';

/** A ramp (8 cores, CPU = 0.02 + qps/10 000), concurrency 10..60 on a USL curve peaking far off. */
function ramp(p99s: number[], cores = 8, cpuPerQps = 1e-4) {
  const usl = { sigma: 0.01, kappa: 1e-6, lambda: 100 };
  return {
    service: 'cart',
    cores,
    slo: { p99Ms: 50 },
    points: p99s.map((p99Ms, i) => {
      const concurrency = 10 * (i + 1);
      const qps = uslThroughput(usl, concurrency);
      return { qps, p99Ms, cpu: Math.min(1, 0.02 + qps * cpuPerQps), concurrency };
    }),
  };
}

describe('computeCapacity', () => {
  it('a poor USL fit does not bind: noisy throughput that never grew with concurrency', async () => {
    // the case: a short ramp whose QPS is noise around 96 (R² of the fit ~0.1)
    const noisy = [96, 101, 92, 99, 94, 98, 93, 100];
    const c = await computeCapacity({
      service: 'catalog',
      cores: 1,
      slo: { p99Ms: 50 },
      points: noisy.map((qps, i) => ({ qps, p99Ms: 20 + i, cpu: 0.3, concurrency: i + 1 })),
    });
    assert.equal(c.limits.usl, null);
    assert.notEqual(c.binding, 'usl');
    assert.match(
      c.unmet.join('\n'),
      /^USL fit poor, it does not bind: R² 0\.\d+ < 0\.9.*; to fix: ramp catalog past 101 QPS in ≥ 6 levels$/,
    );
    // Too few levels for any fit is unmet the same way.
    const short = await computeCapacity({
      service: 'catalog',
      cores: 1,
      slo: { p99Ms: 50 },
      points: [100, 200].map((qps) => ({ qps, p99Ms: 20, cpu: 0.3, concurrency: qps / 50 })),
    });
    assert.deepEqual(short.unmet, [
      'no USL fit (fewer than 3 distinct non-zero concurrency levels); to fix: ramp catalog past 200 QPS in ≥ 6 levels',
    ]);
  });

  it('a noisy CPU-vs-QPS line does not bind its knee: the plan is unmet, saying why', async () => {
    // CPU per request wandering between levels (0.1 to 0.55 at loads that barely differ).
    const cpus = [0.1, 0.55, 0.15, 0.5, 0.2, 0.45];
    const c = await computeCapacity({
      service: 'search',
      cores: 1,
      slo: { p99Ms: 1000 },
      points: cpus.map((cpu, i) => ({ qps: 100 + 10 * i, p99Ms: 20, cpu, concurrency: i + 1 })),
    });
    assert.equal(c.limits.knee, null);
    assert.notEqual(c.binding, 'knee');
    assert.match(
      c.unmet.join('\n'),
      /CPU-vs-QPS fit poor, its knee does not bind: R² 0\.\d+ < 0\.9.*to fix: ramp search in ≥ 6 levels/,
    );
    // Two levels always fit a line: not enough to plan from either.
    const two = await computeCapacity({
      service: 'search',
      cores: 1,
      slo: { p99Ms: 1000 },
      points: [100, 200].map((qps) => ({ qps, p99Ms: 20, cpu: qps / 1000 })),
    });
    assert.equal(two.limits.knee, null);
    assert.match(two.unmet.join('\n'), /CPU-vs-QPS line on 2 levels, its knee does not bind/);
  });

  it('binds on the SLO, interpolated between the last good and first bad level', async () => {
    const input = ramp([20, 22, 25, 30, 60, 150]);
    const c = await computeCapacity(input);
    const [q4, q5] = [input.points[3]!.qps, input.points[4]!.qps];
    assert.equal(c.binding, 'slo');
    assert.equal(c.lowerBound, false);
    assert.deepEqual(c.limits.slo.by, 'p99');
    assert.ok(Math.abs(c.qps - (q4 + ((50 - 30) / (60 - 30)) * (q5 - q4))) < 1e-9);
    assert.ok(c.limits.usl !== null && c.limits.usl.qps > c.qps);
    assert.ok(c.limits.knee !== null && c.limits.knee.qps > c.qps);
  });

  it('is only a lower bound when the ramp never breached the SLO', async () => {
    const c = await computeCapacity(ramp([10, 11, 12, 13, 14, 15]));
    assert.equal(c.lowerBound, true);
    assert.equal(c.binding, 'slo');
    assert.equal(c.qps, c.maxMeasuredQps);
    assert.equal(formatCapacity(c), `> ${Math.round(c.maxMeasuredQps)}`);
    // Knee of 8 cores (0.760) at (0.760 − 0.02) × 10 000 QPS caps it from above.
    assert.ok(Math.abs(c.upperBoundQps! - (kneeUtilisation(8) - 0.02) * 10_000) < 1e-6);
    assert.match(c.warnings.join('\n'), /never breached the SLO/);
  });

  it('binds on the queueing knee of a 1-core machine before the SLO or USL', async () => {
    const c = await computeCapacity(ramp([10, 11, 12, 13, 14, 15], 1, 2e-4));
    // cpu = 0.02 + qps/5 000, knee 0.5 → 2400 QPS, below the ~3 770 QPS measured.
    assert.equal(c.binding, 'knee');
    assert.equal(c.lowerBound, false);
    assert.equal(c.limits.knee!.utilisation, kneeUtilisation(1));
    assert.ok(Math.abs(c.qps - 2400) < 1e-6, `${c.qps}`);
    assert.ok(Math.abs(c.limits.knee!.cpuFit.slope - 2e-4) < 1e-12);
  });

  it('binds on the USL peak, not a lower bound, when the ramp went past the peak', async () => {
    const usl = { sigma: 0.05, kappa: 0.002, lambda: 100 };
    const c = await computeCapacity({
      service: 'search',
      cores: 16,
      slo: { p99Ms: 1000 },
      points: [1, 4, 8, 12, 16, 20, 24, 28, 32].map((concurrency) => {
        const qps = uslThroughput(usl, concurrency);
        return { qps, p99Ms: 20, cpu: qps / 10_000, concurrency };
      }),
    });
    assert.equal(c.binding, 'usl');
    assert.equal(c.lowerBound, false);
    assert.equal(c.limits.usl!.reached, true);
    const peak = uslThroughput(usl, Math.sqrt(0.95 / 0.002));
    assert.ok(Math.abs(c.qps / peak - 1) < 1e-6, `${c.qps} vs ${peak}`);
    // Exact points: a range with nothing in it but the peak.
    assert.equal(c.range?.basis, 'interval');
    assert.ok(c.range!.high - c.range!.low < 1e-3 * peak, JSON.stringify(c.range));
  });

  it('gives the USL peak a range from the fit, wider with noisier points', async () => {
    const usl = { sigma: 0.05, kappa: 0.002, lambda: 100 };
    const levels = [1, 4, 8, 12, 16, 20, 24, 28, 32];
    const ranged = async (noise: number) =>
      computeCapacity({
        service: 'search',
        cores: 16,
        slo: { p99Ms: 1000 },
        points: levels.map((concurrency, i) => {
          const qps = uslThroughput(usl, concurrency) * (1 + noise * (i % 2 === 0 ? 1 : -1));
          return { qps, p99Ms: 20, cpu: qps / 10_000, concurrency };
        }),
      });
    const quiet = await ranged(0.01);
    const loud = await ranged(0.04);
    for (const c of [quiet, loud]) {
      assert.equal(c.binding, 'usl');
      assert.ok(c.range!.low < c.qps && c.qps < c.range!.high, JSON.stringify(c.range));
      assert.equal(c.range!.level, 0.95);
      // 95 % two-sided t on 9 − 3 = 6 degrees of freedom: 2.447 standard errors each side
      const se = c.range!.standardError!;
      assert.ok(Math.abs((c.range!.high - c.qps) / se - 2.446912) < 1e-4);
    }
    const width = (c: typeof quiet) => c.range!.high - c.range!.low;
    assert.ok(width(loud) > 3 * width(quiet), `${width(loud)} vs ${width(quiet)}`);
  });

  it("gives a knee a range from its CPU line's scatter", async () => {
    // CPU 0.05 + 0.0003 × QPS on 2 cores, ±0.01 alternating: the knee near 1 758 QPS.
    const points = [400, 800, 1200, 1600, 2000, 2400].map((qps, i) => ({
      qps,
      p99Ms: 10,
      cpu: 0.05 + 0.0003 * qps + (i % 2 === 0 ? 0.01 : -0.01),
    }));
    const c = await computeCapacity({ service: 'pay', cores: 2, slo: { p99Ms: 1000 }, points });
    assert.equal(c.binding, 'knee');
    assert.equal(c.range?.basis, 'interval');
    assert.ok(c.range!.low < c.qps && c.qps < c.range!.high, JSON.stringify(c.range));
    // 95 % t on 6 − 2 = 4 degrees of freedom: 2.776 standard errors each side.
    assert.ok(Math.abs((c.range!.high - c.qps) / c.range!.standardError! - 2.776445) < 1e-4);
    assert.ok(c.range!.high - c.range!.low < 0.2 * c.qps, 'a tight line gives a narrow knee');
  });

  it('brackets an SLO limit between the level that held and the one that broke', async () => {
    const c = await computeCapacity(ramp([20, 22, 25, 30, 60, 150]));
    assert.equal(c.binding, 'slo');
    assert.deepEqual(c.range, {
      low: c.limits.slo.between![0],
      high: c.limits.slo.between![1],
      basis: 'bracket',
    });
    assert.ok(c.range!.low < c.qps && c.qps < c.range!.high);
    // A lower bound has no range: it is not known where above it the capacity lies.
    assert.equal((await computeCapacity(ramp([10, 11, 12, 13, 14, 15]))).range, undefined);
  });

  it('warns loudly about limits beyond 2× the highest load measured', async () => {
    const c = await computeCapacity({
      service: 'idle',
      cores: 16,
      slo: { p99Ms: 50 },
      points: [100, 200, 300, 400].map((qps) => ({ qps, p99Ms: 5, cpu: qps / 20_000 })),
    });
    assert.equal(c.lowerBound, true);
    assert.equal(c.extrapolated, true);
    assert.equal(c.limits.knee!.extrapolated, true);
    assert.match(c.warnings.join('\n'), /EXTRAPOLATED: the knee limit/);
  });

  it('says so when the SLO breaks at the lowest load run', async () => {
    const c = await computeCapacity(ramp([80, 90, 100, 110]));
    assert.equal(c.qps, 0);
    assert.match(c.warnings.join('\n'), /lowest load/);
  });
});
