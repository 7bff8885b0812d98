// `loadline capacity fit` and `loadline capacity plan` as a user runs them: measurements in,
// a model file out, a forecast in, a report out, and the exit code a script can act on.
// Until main.ts registers the commands, this drives the command functions in-process, with
// the same mapping of errors to exit codes as main.ts.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { before, describe, it } from 'node:test';
import { CapacityModel, Plan } from '@loadline/capacity';
import {
  type CapacityIo,
  runCapacityFit,
  runCapacityPlan,
} from '../apps/cli/src/commands/capacity.js';
import { ExitCode, UsageError } from '../apps/cli/src/exit-codes.js';
import { sampleMeasurements } from '../packages/capacity/src/testing.js';
import { CHROMIUM } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'loadline-plan-'));
const file = (name: string, text?: string) => {
  const path = join(dir, name);
  if (text !== undefined) writeFileSync(path, text);
  return path;
};

/** Runs a command as main.ts does: a UsageError is one line on stderr and exit 2. */
async function run(
  command: (io: CapacityIo) => Promise<number>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) =>
    new Writable({
      write(chunk, _encoding, done) {
        into.push(String(chunk));
        done();
      },
    });
  let code: number;
  try {
    code = await command({ stdout: sink(out), stderr: sink(err) });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err.push(`loadline: ${error.message}\n`);
    code = ExitCode.badInput;
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const FORECAST = `# peak season
entries:
  order: 2000
  view: 15000
utilisation: 0.6
redundancy: { default: 2, payment: 3 }
zones: 3
`;

describe('loadline capacity fit', () => {
  it('builds a model file from measurements', async () => {
    const from = file('measurements.json', JSON.stringify(sampleMeasurements(), null, '\t'));
    const out = file('model.json');
    const result = await run((io) => runCapacityFit({ from, out }, io));
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /cart\s+2833 QPS per machine\s+\(slo limit: p99 latency; 4 cores\)/,
    );
    assert.match(result.stdout, /payment\s+1758 QPS per machine\s+\(knee limit: CPU; 2 cores\)/);
    assert.match(result.stdout, new RegExp(`wrote ${out}`));
    const model = CapacityModel.parse(JSON.parse(readFileSync(out, 'utf8')));
    assert.deepEqual(model.provenance.runs, ['run-ramp']);
    assert.equal(model.provenance.source, from);
    assert.equal(model.services.length, 2);
  });

  it('--json prints the model; bad measurements exit 2 at their line', async () => {
    const from = file('measurements.json');
    const json = await run((io) => runCapacityFit({ from, json: true }, io));
    assert.equal(json.code, 0);
    assert.equal(CapacityModel.parse(JSON.parse(json.stdout)).services[0]!.service, 'cart');

    const bad = sampleMeasurements();
    bad.services.cart!.ramp[2]!.cpu = 1.7;
    const text = JSON.stringify(bad, null, 2);
    const badFile = file('bad.json', text);
    const result = await run((io) => runCapacityFit({ from: badFile }, io));
    assert.equal(result.code, 2);
    const [, line] =
      /bad\.json:(\d+):\d+ services\.cart\.ramp\[2\]\.cpu: /.exec(result.stderr) ?? [];
    assert.ok(line, result.stderr);
    assert.match(text.split('\n')[Number(line) - 1]!, /"cpu": 1\.7/);
  });

  it('--runs reads stored runs from control, and says so when control does not answer', async () => {
    const result = await run((io) =>
      runCapacityFit({ runs: 'r1,r2', api: 'http://127.0.0.1:9' }, io),
    );
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--api: cannot reach control at http:\/\/127\.0\.0\.1:9/);
    const both = await run((io) => runCapacityFit({ runs: 'r1', from: 'x.json' }, io));
    assert.equal(both.code, 2);
    assert.match(both.stderr, /give either --from FILE .* or --runs ID,ID/);
    const missing = await run((io) => runCapacityFit({}, io));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--from: give either/);
    const cores = await run((io) => runCapacityFit({ runs: 'r1', cores: ['cart'] }, io));
    assert.equal(cores.code, 2);
    assert.match(cores.stderr, /--cores: expected SERVICE=N/);
  });
});

describe('loadline capacity plan', () => {
  let model: string;
  let forecast: string;
  before(async () => {
    model = file('plan-model.json');
    const from = file('plan-measurements.json', JSON.stringify(sampleMeasurements()));
    assert.equal((await run((io) => runCapacityFit({ from, out: model }, io))).code, 0);
    forecast = file('forecast.yaml', FORECAST);
  });

  it('writes each format; --json prints the plan; exit 0 when nothing is unmet', async () => {
    const plans: Plan[] = [];
    for (const format of ['json', 'md', 'csv', 'xlsx']) {
      const out = file(`plan.${format}`);
      const result = await run((io) =>
        runCapacityPlan({ model, forecast, format, out, json: true }, io),
      );
      assert.equal(result.code, 0, result.stderr);
      plans.push(Plan.parse(JSON.parse(result.stdout)));
      assert.ok(readFileSync(out).length > 100, format);
    }
    // Planned at the default quantile, 0.1: cart's SLO broke between 2,500 QPS (held) and
    // 3,000, interpolated at 2,833; a tenth of the way up from 2,500 is 2,567 a machine:
    // 13,507 ÷ (2,567 × 0.6) → 9 + 2 spares, where the median would need 10.
    const cart = plans[0]!.services.find((s) => s.service === 'cart')!;
    assert.deepEqual(cart.capacityRange, { low: 2500, high: 3000, basis: 'bracket' });
    assert.equal(cart.quantile, 0.1);
    assert.equal(Math.round(cart.capacityQps!), 2567);
    assert.equal(Math.round(cart.medianCapacityQps!), 2833);
    assert.deepEqual([cart.machines, cart.medianMachines], [11, 10]);
    // payment binds on its knee: its CPU line is exact (the sample's CPU is linear in QPS),
    // so its interval is a point, and the quantile changes nothing.
    const payment = plans[0]!.services.find((s) => s.service === 'payment')!;
    assert.equal(payment.capacityRange?.basis, 'interval');
    assert.ok(payment.capacityRange!.high - payment.capacityRange!.low < 1e-6);
    assert.deepEqual([payment.machines, payment.medianMachines], [6, 6]);
    assert.equal(plans[0]!.totalMachines, 17);
    assert.deepEqual(plans[0]!.bottleneck?.service, 'cart');
    assert.deepEqual(JSON.parse(readFileSync(file('plan.json'), 'utf8')), plans[0]);
    assert.match(readFileSync(file('plan.md'), 'utf8'), /\*\*17 machines\*\*/);
    assert.match(
      readFileSync(file('plan.md'), 'utf8'),
      /\| cart \| 13,507 \| 2,567 \| no \| slo \| 2 \| 11 \| 2\.6% \| 2,500–3,000 \(between ramp levels\) \| 0\.1 \| 10 \|/,
    );
    assert.equal(readFileSync(file('plan.xlsx')).subarray(0, 2).toString(), 'PK');

    const human = await run((io) =>
      runCapacityPlan({ model, forecast, out: file('by-ext.csv') }, io),
    );
    assert.equal(human.code, 0);
    assert.match(human.stdout, /^17 machines; bottleneck cart \(headroom 2\.6%\)\n/);
    assert.match(
      human.stdout,
      /cart {16}11 machines {2}\(13507 QPS, N\+2, p99 latency runs out first; at q0\.1 2567 QPS a machine, the median 2833 would need 10\)/,
    );
    // At the median, as a forecast or --quantile may ask; a quantile past it is refused.
    const median = await run((io) =>
      runCapacityPlan({ model, forecast, quantile: '0.5', json: true }, io),
    );
    assert.equal(Plan.parse(JSON.parse(median.stdout)).totalMachines, 16);
    const past = await run((io) => runCapacityPlan({ model, forecast, quantile: '0.7' }, io));
    assert.equal(past.code, 2);
    assert.match(past.stderr, /--quantile: expected a quantile in \(0, 0\.5\]/);
    assert.match(human.stdout, /wrote .*by-ext\.csv \(csv\)/);
    assert.match(readFileSync(file('by-ext.csv'), 'utf8'), /^Summary\r\n/);
    const stdout = await run((io) => runCapacityPlan({ model, forecast }, io));
    assert.match(stdout.stdout, /^# Capacity plan\n/);
  });

  it('exit 1 when the plan lists anything unmet, naming it', async () => {
    const more = file('more.yaml', FORECAST.replace('view: 15000', 'view: 15000\n  search: 300'));
    const result = await run((io) => runCapacityPlan({ model, forecast: more, json: true }, io));
    assert.equal(result.code, 1);
    assert.equal(Plan.parse(JSON.parse(result.stdout)).unmet.length, 1);
    assert.match(
      result.stderr,
      /unmet: forecast: entry kind search is forecast but has no fan-out ratios/,
    );
  });

  it('a USL fit too poor to bind leaves the plan unmet, saying what ramp fixes it', async () => {
    // payment ramped in 5 levels: fewer than the 6 a fit is trusted on.
    const short = sampleMeasurements();
    short.services.payment!.ramp.pop();
    const from = file('short-measurements.json', JSON.stringify(short));
    const shortModel = file('short-model.json');
    const fit = await run((io) => runCapacityFit({ from, out: shortModel }, io));
    assert.equal(fit.code, 0, fit.stderr);
    const fix =
      /unmet: payment: USL fit poor, it does not bind: 5 concurrency levels < 6.*; to fix: ramp payment past 2500 QPS in ≥ 6 levels/;
    assert.match(fit.stderr, fix);
    const plan = await run((io) =>
      runCapacityPlan({ model: shortModel, forecast, json: true }, io),
    );
    assert.equal(plan.code, 1);
    assert.deepEqual(
      Plan.parse(JSON.parse(plan.stdout)).unmet.map((u) => u.service),
      ['payment'],
    );
    assert.match(plan.stderr, fix);
  });

  it('exit 2 on bad input: YAML at its line, unknown format, missing flags', async () => {
    const bad = file(
      'bad.yaml',
      'entries:\n  order: 2000\nutilisation: 1.6\nredundancy: { default: 2 }\n',
    );
    const yaml = await run((io) => runCapacityPlan({ model, forecast: bad }, io));
    assert.equal(yaml.code, 2);
    assert.match(yaml.stderr, /bad\.yaml:3:14 utilisation: /);
    const broken = file('broken.yaml', 'entries: { order: 2000\nutilisation: 0.5\n');
    assert.match(
      (await run((io) => runCapacityPlan({ model, forecast: broken }, io))).stderr,
      /broken\.yaml:\d+:\d+ /,
    );
    const format = await run((io) =>
      runCapacityPlan({ model, forecast, format: 'docx', out: 'x' }, io),
    );
    assert.equal(format.code, 2);
    assert.match(
      format.stderr,
      /--format: expected one of json, md, csv, xlsx, pdf, html, got "docx"/,
    );
    const binary = await run((io) => runCapacityPlan({ model, forecast, format: 'xlsx' }, io));
    assert.match(binary.stderr, /--out: required for --format xlsx/);
    const noModel = await run((io) => runCapacityPlan({ forecast }, io));
    assert.equal(noModel.code, 2);
    assert.match(noModel.stderr, /--model: required/);
    const notModel = await run((io) => runCapacityPlan({ model: forecast, forecast }, io));
    assert.equal(notModel.code, 2);
    assert.match(notModel.stderr, /forecast\.yaml:\d+:\d+ version: /);
  });

  it('writes a PDF through Chromium', {
    skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`,
  }, async () => {
    const out = file('plan.pdf');
    const result = await run((io) =>
      runCapacityPlan({ model, forecast, out }, io, { CHROMIUM_PATH: CHROMIUM }),
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(out).subarray(0, 5).toString('latin1'), '%PDF-');
    const missing = await run((io) =>
      runCapacityPlan({ model, forecast, out }, io, { CHROMIUM_PATH: join(dir, 'no-chromium') }),
    );
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /cannot start Chromium at .*no-chromium \(set CHROMIUM_PATH\)/);
  });
});
