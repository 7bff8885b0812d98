import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gaussian, relativeError } from './testing.js';
import { fitUsl, UslInputError } from './usl.js';
import { uslPeak, uslThroughput } from './usl-model.js';

const truth = { sigma: 0.03, kappa: 1e-4, lambda: 1200 };

function synthetic(levels: number[], noise: number, seed = 7) {
  const next = gaussian(seed);
  return levels.map((n) => ({
    concurrency: n,
    throughput: uslThroughput(truth, n) * (1 + noise * next()),
  }));
}

describe('fitUsl', () => {
  it('recovers σ, κ, λ within 1% from exact synthetic data', async () => {
    const fit = await fitUsl(synthetic([1, 2, 4, 8, 16, 32, 48, 64, 96, 128, 160, 200], 0));
    assert.ok(relativeError(fit.sigma, truth.sigma) < 0.01, `σ ${fit.sigma}`);
    assert.ok(relativeError(fit.kappa, truth.kappa) < 0.01, `κ ${fit.kappa}`);
    assert.ok(relativeError(fit.lambda, truth.lambda) < 0.01, `λ ${fit.lambda}`);
    assert.ok(fit.r2 > 0.999999);
    assert.equal(fit.converged, true);
  });

  it('recovers κ ~ 1e-4 within 1% through 0.2% measurement noise, 20 points in under 5 s', async () => {
    const levels = Array.from({ length: 20 }, (_, i) => 1 + i * 12);
    const started = performance.now();
    const fit = await fitUsl(synthetic(levels, 0.002));
    const elapsedMs = performance.now() - started;
    assert.ok(elapsedMs < 5000, `fit took ${elapsedMs.toFixed(0)} ms`);
    assert.ok(relativeError(fit.sigma, truth.sigma) < 0.01, `σ ${fit.sigma}`);
    assert.ok(relativeError(fit.kappa, truth.kappa) < 0.01, `κ ${fit.kappa}`);
    assert.ok(relativeError(fit.lambda, truth.lambda) < 0.01, `λ ${fit.lambda}`);
  });

  it('reports the unfloored peak √((1−σ)/κ) and the floored one codahale reports', async () => {
    const fit = await fitUsl(synthetic([1, 4, 8, 16, 32, 64, 128, 256], 0));
    assert.equal(fit.peak.kind, 'peak');
    if (fit.peak.kind !== 'peak') return;
    const nStar = Math.sqrt((1 - truth.sigma) / truth.kappa); // 98.49
    assert.ok(relativeError(fit.peak.concurrency, nStar) < 1e-6);
    assert.equal(fit.peak.flooredConcurrency, 98);
    assert.ok(relativeError(fit.peak.throughput, uslThroughput(truth, nStar)) < 1e-6);
    assert.ok(fit.peak.flooredThroughput <= fit.peak.throughput);
  });

  it('holds κ at 0 when the data bends the wrong way, unless asked for an unbounded fit', async () => {
    // Throughput that keeps accelerating late: unconstrained least squares wants κ < 0.
    const points = [1, 4, 8, 16, 32, 48, 64].map((n) => ({
      concurrency: n,
      throughput: (20 * n) / (1 + 0.08 * (n - 1) - 0.0002 * n * (n - 1)),
    }));
    const bounded = await fitUsl(points);
    assert.equal(bounded.kappa, 0);
    assert.deepEqual(bounded.atBound, ['kappa']);
    assert.equal(bounded.peak.kind, 'asymptote');
    assert.equal(bounded.peak.concurrency, null);
    assert.ok(relativeError(bounded.peak.throughput!, bounded.lambda / bounded.sigma) < 1e-12);
    const free = await fitUsl(points, { bounded: false });
    assert.ok(free.kappa < 0 && relativeError(free.kappa, -0.0002) < 1e-3, `κ ${free.kappa}`);
    assert.equal(free.peak.kind, 'none');
    assert.match(free.warnings.join('\n'), /negative coherency/);
  });

  it('refuses fewer than 3 distinct concurrency levels and invalid points', async () => {
    await assert.rejects(
      fitUsl([
        { concurrency: 1, throughput: 10 },
        { concurrency: 2, throughput: 19 },
        { concurrency: 2, throughput: 18 },
      ]),
      UslInputError,
    );
    await assert.rejects(
      fitUsl([
        { concurrency: 1, throughput: 10 },
        { concurrency: 0, throughput: 19 },
        { concurrency: 3, throughput: 25 },
      ]),
      /point 2/,
    );
  });

  it('warns below 6 points, as R usl does', async () => {
    const fit = await fitUsl(synthetic([1, 8, 32, 64, 128], 0));
    assert.match(fit.warnings.join('\n'), /only 5 points/);
  });
});

describe('uslPeak', () => {
  it('has no peak and no asymptote when σ = κ = 0 (linear scaling)', () => {
    assert.deepEqual(uslPeak({ sigma: 0, kappa: 0, lambda: 10 }), {
      kind: 'none',
      concurrency: null,
      throughput: null,
    });
  });
});

describe('fit quality', () => {
  it('noise around a constant has no scalability structure: poor, R² named', async () => {
    // 1,000/s ± 90, whatever the concurrency
    const points = Array.from({ length: 12 }, (_, i) => ({
      concurrency: i + 1,
      throughput: 1000 + (((i * 7919) % 13) - 6) * 15,
    }));
    const { quality } = await fitUsl(points);
    assert.equal(quality.verdict, 'poor');
    assert.ok(quality.r2 < 0.9, String(quality.r2));
    assert.match(quality.reasons.join('\n'), /R² 0\.\d+ < 0\.9/);
  });

  it('a ramp that never left the linear region is poor, with the ramp that would fix it', async () => {
    const points = Array.from({ length: 8 }, (_, i) => ({
      concurrency: i + 1,
      throughput: 100 * (i + 1) * (1 + ((i % 3) - 1) * 0.005),
    }));
    const { quality } = await fitUsl(points);
    assert.equal(quality.verdict, 'poor');
    assert.ok(quality.r2 > 0.99);
    assert.match(quality.reasons.join('\n'), /never left the linear region .* ramp past N = 8/);
  });

  it('too few levels is poor by default, and each gate is the caller’s to set', async () => {
    const points = [1, 2, 4, 8].map((n) => ({
      concurrency: n,
      throughput: (100 * n) / (1 + 0.1 * (n - 1)),
    }));
    const strict = await fitUsl(points);
    assert.equal(strict.quality.verdict, 'poor');
    assert.match(
      strict.quality.reasons.join('\n'),
      /4 concurrency levels < 6: ramp in at least 6 levels/,
    );
    const lenient = await fitUsl(points, { gates: { minLevels: 4 } });
    assert.equal(lenient.quality.verdict, 'good', lenient.quality.reasons.join('; '));
  });
});
