// `loadline capacity usl` as a user runs it: a real CSV from the public reference data,
// --json for scripts, exit 1 on a fit too poor to plan from, exit 2 naming the line of a bad CSV.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cli, root } from './support.js';

const cisco = join(root, '..', 'shared', 'data', 'usl', 'cisco.csv');
const dir = mkdtempSync(join(tmpdir(), 'loadline-capacity-'));

describe('loadline capacity usl', () => {
  it('fits the Cisco benchmark to the book’s parameters and prints the documented JSON', {
    skip: existsSync(cisco) ? false : `reference data absent: ${cisco}`,
  }, async () => {
    const result = await cli(['capacity', 'usl', '--csv', cisco, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const fit = JSON.parse(result.stdout);
    // Practical Scalability Analysis with the USL (Schwartz), as usl4j asserts.
    assert.ok(Math.abs(fit.sigma / 0.02671591 - 1) < 1e-4, `sigma ${fit.sigma}`);
    assert.ok(Math.abs(fit.kappa / 7.690945e-4 - 1) < 1e-4, `kappa ${fit.kappa}`);
    assert.ok(Math.abs(fit.lambda / 995.6486 - 1) < 1e-4, `lambda ${fit.lambda}`);
    assert.equal(typeof fit.peak.concurrency, 'number');
    assert.equal(typeof fit.peak.throughput, 'number');
    assert.ok(fit.r2 > 0.99);
    assert.equal(fit.quality.verdict, 'good');
    assert.equal(fit.quality.levels, 32);
    const [lo, hi] = fit.intervals.sigma;
    assert.ok(lo < fit.sigma && fit.sigma < hi, JSON.stringify(fit.intervals));
    const human = await cli(['capacity', 'usl', '--csv', cisco]);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /sigma/);
    assert.match(human.stdout, /σ 95 % interval/);
    assert.match(human.stdout, /quality +GOOD/);
  });

  it('prints a poor fit marked and exits 1: noise around a constant, or gates set tighter', async () => {
    const flat = join(dir, 'flat.csv');
    const rows = Array.from(
      { length: 12 },
      (_, i) => `${i + 1},${1000 + (((i * 7919) % 13) - 6) * 15}`,
    );
    writeFileSync(flat, `concurrency,throughput\n${rows.join('\n')}\n`);
    const json = await cli(['capacity', 'usl', '--csv', flat, '--json']);
    assert.equal(json.code, 1, json.stderr);
    const fit = JSON.parse(json.stdout);
    assert.equal(fit.quality.verdict, 'poor');
    assert.ok(fit.quality.r2 < 0.9);
    const human = await cli(['capacity', 'usl', '--csv', flat]);
    assert.equal(human.code, 1);
    assert.match(human.stdout, /quality +POOR/);
    assert.match(human.stdout, /poor: +R² /);
    if (existsSync(cisco)) {
      const tight = await cli([
        'capacity',
        'usl',
        '--csv',
        cisco,
        '--max-relative-residual',
        '0.01',
      ]);
      assert.equal(tight.code, 1);
      assert.match(tight.stdout, /residuals 2\.1 % of the mean throughput > 1 %/);
    }
    const bad = await cli(['capacity', 'usl', '--csv', flat, '--min-r2', '1.5']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--min-r2/);
  });

  it('exits 2 naming the file and line of a bad CSV', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'concurrency,throughput\n1,100\n2,lots\n');
    const result = await cli(['capacity', 'usl', '--csv', bad, '--json']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /bad\.csv:3: throughput "lots" is not a number/);
    assert.equal(result.stdout, '');
    const missing = await cli(['capacity', 'usl']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--csv/);
  });
});
