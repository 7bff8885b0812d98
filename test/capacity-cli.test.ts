// `loadline capacity usl` as a user runs it: a real CSV from the public reference data,
// --json for scripts, exit 2 naming the line of a bad CSV.
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
    const human = await cli(['capacity', 'usl', '--csv', cisco]);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /sigma/);
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
