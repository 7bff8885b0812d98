// End to end: `loadline run SCRIPT.js --local` runs k6 scripts unchanged against a local
// stand-in for k6's example sites, hostnames mapped with --host; exit codes are k6's.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { k6ResultOf } from './k6/result.js';
import { startStandIn } from './k6/stand-in.js';
import { cli } from './support.js';

const scripts = join(import.meta.dirname, 'k6', 'scripts');
const dir = mkdtempSync(join(tmpdir(), 'loadline-k6-'));
const HOSTS = ['httpbin.test.k6.io', 'test.k6.io', 'test-api.k6.io', 'quickpizza.grafana.com'];

let standIn: Awaited<ReturnType<typeof startStandIn>>;
before(async () => {
  standIn = await startStandIn();
});
after(() => standIn.close());

function run(script: string, ...args: string[]) {
  const hosts = HOSTS.flatMap((h) => ['--host', `${h}=127.0.0.1:${standIn.port}`]);
  return cli(['run', join(scripts, script), '--local', ...hosts, ...args]);
}

describe('loadline run SCRIPT.js --local (k6 scripts)', () => {
  it('runs checks, groups, custom metrics, setup data and tag-filtered thresholds', async () => {
    const before = standIn.received().total;
    const result = await run('basics.js', '--json');
    assert.equal(result.code, 0, result.stderr);
    const { summary } = k6ResultOf(result.stdout);
    const m = summary.metrics;
    assert.equal(m.iterations?.values.count, 12);
    assert.equal(m.http_reqs?.values.count, 25, 'one setup request and two per iteration');
    assert.equal(m.checks?.values.rate, 1);
    assert.equal(m.checks?.values.passes, 48);
    assert.equal(m.items_seen?.values.count, 12);
    assert.ok((m.last_size?.values.value ?? 0) > 100);
    assert.deepEqual(m['http_req_duration{name:args}']?.thresholds, { 'p(99)<5000': { ok: true } });
    assert.equal(
      m['http_reqs{name:args}']?.values.count,
      12,
      'the submetric holds only the tagged requests',
    );
    assert.ok((m.get_latency?.values['p(95)'] ?? 0) > 0);
    const received = standIn.received();
    assert.equal(received.total - before, 25);
    assert.match(result.stderr, /█ read|✓ status is 200/);
  });

  it('covers forms, files, cookies, redirects, auth, batch, gzip, html, SharedArray and handleSummary', async () => {
    const file = join(dir, 'summary.json');
    const result = await cli([
      'run',
      join(scripts, 'features.js'),
      '--local',
      '--host',
      `httpbin.test.k6.io=127.0.0.1:${standIn.port}`,
      '-e',
      `SUMMARY_FILE=${file}`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'custom summary\n');
    const written = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(written.checks.rate, 1, result.stderr);
    assert.ok(written.checks.passes >= 2 * 16, JSON.stringify(written));
    assert.deepEqual(written.groups, [
      'forms',
      'cookies and redirects',
      'auth, batch, gzip, html',
      'encoding and crypto',
    ]);
  });

  it('runs the six executors with k6 counts, startTime and scenario tags', async () => {
    const count = (name: string) => standIn.received().count({ path: `/anything/${name}` });
    const before = Object.fromEntries(
      ['shared', 'perVu', 'constantRate', 'rampingRate', 'later', 'constantVus', 'rampingVus'].map(
        (n) => [n, count(n)],
      ),
    );
    const result = await run('executors.js', '--json');
    assert.equal(result.code, 0, result.stderr);
    const got = (name: string) => count(name) - (before[name] ?? 0);
    assert.equal(got('shared'), 10);
    assert.equal(got('perVu'), 6);
    assert.equal(got('constantRate'), 20, 'one start every 50 ms from 0 for 1 s');
    assert.equal(got('rampingRate'), 9, '0→19/s over 1 s: the area is 9.5');
    assert.equal(got('later'), 1);
    assert.ok(got('constantVus') >= 10, `constant-vus: ${got('constantVus')}`);
    assert.ok(got('rampingVus') >= 2, `ramping-vus: ${got('rampingVus')}`);
    const { summary } = k6ResultOf(result.stdout);
    assert.equal(summary.metrics['iterations{scenario:shared}']?.values.count, 10);
    assert.equal(summary.metrics.dropped_iterations?.values.count ?? 0, 0);
  });

  it('splits every scenario across instances with --execution-segment, shares adding up to the whole', async () => {
    const names = ['shared', 'perVu', 'constantRate', 'later'];
    const count = (name: string) => standIn.received().count({ path: `/anything/${name}` });
    const before = Object.fromEntries(names.map((n) => [n, count(n)]));
    const halves = await Promise.all(
      // Each instance judges thresholds on its own share (as k6 instances do): the script's
      // are for the whole, so they are off here.
      ['0:1/2', '1/2:1'].map((segment) =>
        run('executors.js', '--execution-segment', segment, '--no-thresholds'),
      ),
    );
    for (const half of halves) assert.equal(half.code, 0, half.stderr);
    const got = (name: string) => count(name) - (before[name] ?? 0);
    assert.equal(got('shared'), 10);
    assert.equal(got('perVu'), 6);
    assert.equal(got('constantRate'), 20);
    assert.equal(got('later'), 1, 'one VU, one iteration: one instance runs it, the other none');
    const bad = await run('executors.js', '--execution-segment', '0:2/5');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--execution-segment: Loadline splits a run into equal segments/);
  });

  it('exits with k6 codes: thresholds 99, invalid options 104, script errors 107, abort 108, fail 110', async () => {
    const outcome = (name: string, ...args: string[]) =>
      run('outcomes.js', '-e', `OUTCOME=${name}`, ...args);
    const passed = await outcome('pass');
    assert.equal(passed.code, 0, passed.stderr);
    const thresholds = await outcome('thresholds');
    assert.equal(thresholds.code, 99, thresholds.stderr);
    assert.match(thresholds.stderr, /thresholds on metrics checks rate>0\.9 have been crossed/);
    const noThresholds = await outcome('thresholds', '--no-thresholds');
    assert.equal(noThresholds.code, 0, noThresholds.stderr);
    const badOptions = await outcome('bad-options');
    assert.equal(badOptions.code, 104);
    assert.match(badOptions.stderr, /scenarios\.s\.rate/);
    assert.match(badOptions.stderr, /scenarios\.s\.preAllocatedVUs/);
    const badThreshold = await outcome('bad-threshold');
    assert.equal(badThreshold.code, 104);
    assert.match(badThreshold.stderr, /p\(95\)<<200/);
    const initThrow = await outcome('init-throw');
    assert.equal(initThrow.code, 107);
    assert.match(initThrow.stderr, /broken in init/);
    const iterationThrow = await outcome('iteration-throw', '--json');
    assert.equal(iterationThrow.code, 0, 'an exception ends only its iteration');
    assert.match(iterationThrow.stderr, /only this iteration/);
    assert.equal(k6ResultOf(iterationThrow.stdout).summary.metrics.iterations?.values.count, 4);
    const aborted = await outcome('test-abort');
    assert.equal(aborted.code, 108, aborted.stderr);
    assert.match(aborted.stderr, /enough/);
    const failed = await outcome('test-fail');
    assert.equal(failed.code, 110, failed.stderr);
  });

  it('aborts on a failing abortOnFail threshold within a threshold period', async () => {
    const started = Date.now();
    const result = await run('outcomes.js', '-e', 'OUTCOME=abort-on-fail');
    assert.equal(result.code, 99, result.stderr);
    assert.match(result.stderr, /abortOnFail/);
    assert.ok(Date.now() - started < 10_000, 'a 30 s scenario ended early');
  });

  it('says INVALID (exit 5) when the runner itself cannot keep up, never a result that looks fine', async () => {
    const hosts = HOSTS.flatMap((h) => ['--host', `${h}=127.0.0.1:${standIn.port}`]);
    const result = await cli(
      [
        'run',
        join(scripts, 'outcomes.js'),
        '--local',
        ...hosts,
        '-e',
        'OUTCOME=saturate',
        '--json',
      ],
      { env: { ...process.env, LOADLINE_SATURATION: 'late=1%,loop=30ms,for=2s' } },
    );
    assert.equal(result.code, 5, result.stderr);
    assert.match(result.stderr, /INVALID: the runner itself could not keep up/);
    const parsed = JSON.parse(result.stdout) as {
      generator: { saturated: unknown[] };
      summary: { metrics: Record<string, { values: Record<string, number> }> };
    };
    assert.equal(parsed.generator.saturated.length, 1);
    // The target answers in a millisecond; iterations started up to seconds late, and the
    // first request of each counts from when it was due (coordinated omission).
    const p95 = parsed.summary.metrics.http_req_duration?.values['p(95)'] ?? 0;
    assert.ok(p95 > 200, `http_req_duration p(95) ${p95} ms hides the lag`);
  });

  it('stops on SIGINT with exit 105 and a summary', async () => {
    const started = Date.now();
    const hosts = HOSTS.flatMap((h) => ['--host', `${h}=127.0.0.1:${standIn.port}`]);
    const result = await cli(
      ['run', join(scripts, 'outcomes.js'), '--local', ...hosts, '-e', 'OUTCOME=long'],
      {
        onStart: (child) => {
          setTimeout(() => child.kill('SIGINT'), 1500);
        },
      },
    );
    assert.equal(result.code, 105, result.stderr);
    assert.ok(Date.now() - started < 10_000);
    assert.match(result.stdout, /iterations\.+: \d+/);
  });

  it('refuses what it cannot run, naming the module or the line, before sending anything', async () => {
    const before = standIn.received().total;
    const unsupported = await run('unsupported.js');
    assert.equal(unsupported.code, 107);
    assert.match(unsupported.stderr, /module "k6\/ws" is not supported/);
    const escaped = await run('escape.js');
    assert.equal(escaped.code, 107);
    assert.match(
      escaped.stderr,
      /escape\.js:6:17: a function that makes requests or sleeps is passed as a value \(passed to paths\.forEach\)/,
    );
    assert.equal(standIn.received().total, before);
    const scenarioWithK6Flag = await cli([
      'run',
      'scenario.yaml',
      '--local',
      '--host',
      'a=127.0.0.1',
    ]);
    assert.equal(scenarioWithK6Flag.code, 2);
    assert.match(scenarioWithK6Flag.stderr, /--host: applies to k6 scripts \(\.js, \.ts\) only/);
  });

  it("runs k6's walkthroughs: the site's CSRF login form, the crocodile API's CRUD with tokens", async () => {
    const login = await run('site-login.js', '--json');
    assert.equal(login.code, 0, login.stderr);
    const { summary } = k6ResultOf(login.stdout);
    assert.equal(summary.metrics['checks{flow:login}']?.values.passes, 12);
    const crud = await run('api-crud.js', '--json');
    assert.equal(crud.code, 0, crud.stderr);
    const checks = k6ResultOf(crud.stdout).summary.metrics.checks?.values;
    assert.deepEqual([checks?.passes, checks?.fails], [20, 0]);
  });

  it('resolves remote jslib imports from the module cache, and refuses them plainly without', async () => {
    const cache = join(dir, 'k6-modules');
    const module = join(cache, 'jslib.k6.io', 'k6-utils', '1.4.0');
    mkdirSync(module, { recursive: true });
    // A stand-in for the cached library: the one function the script uses.
    writeFileSync(
      join(module, 'index.js'),
      'export function randomIntBetween(min, max) { return Math.floor(Math.random() * (max - min + 1) + min); }\n',
    );
    const hosts = HOSTS.flatMap((h) => ['--host', `${h}=127.0.0.1:${standIn.port}`]);
    const args = ['run', join(scripts, 'quickpizza.js'), '--local', ...hosts, '--json'];
    const cached = await cli(args, { env: { ...process.env, LOADLINE_K6_MODULES: cache } });
    assert.equal(cached.code, 0, cached.stderr);
    const metrics = k6ResultOf(cached.stdout).summary.metrics;
    assert.equal(metrics.checks?.values.rate, 1);
    assert.ok((metrics.http_reqs?.values.count ?? 0) >= 5);
    const missing = await cli(args, {
      env: { ...process.env, LOADLINE_K6_MODULES: join(dir, 'empty') },
    });
    assert.equal(missing.code, 107);
    assert.match(
      missing.stderr,
      /https:\/\/jslib\.k6\.io\/k6-utils\/1\.4\.0\/index\.js is a remote module and agents have no internet/,
    );
  });

  it('honours noCookiesReset, minIterationDuration, throw and batch as k6 does', async () => {
    for (const mode of ['reset', 'keep-cookies', 'throw', 'min-duration']) {
      const result = await run('iteration-options.js', '-e', `MODE=${mode}`, '--json');
      assert.equal(result.code, 0, `${mode}: ${result.stderr}`);
      const metrics = k6ResultOf(result.stdout).summary.metrics;
      assert.equal(metrics.checks?.values.rate, 1, `${mode}: ${result.stderr}`);
      if (mode === 'min-duration') {
        assert.ok(
          (metrics.iteration_duration?.values.min ?? 0) >= 299,
          'each iteration took 300 ms at least',
        );
      }
    }
  });

  it('verifies TLS against the original name through --host, trusting NODE_EXTRA_CA_CERTS', async (t) => {
    const key = join(dir, 'tls-key.pem');
    const cert = join(dir, 'tls-cert.pem');
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=secure.test.local',
          '-addext',
          'subjectAltName=DNS:secure.test.local',
          '-keyout',
          key,
          '-out',
          cert,
        ],
        { stdio: 'ignore' },
      );
    } catch {
      t.skip('openssl is not installed: cannot make a test certificate');
      return;
    }
    const server = https.createServer(
      { key: readFileSync(key), cert: readFileSync(cert) },
      (_req, res) => res.end('secure hello'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      server.closeAllConnections();
      server.close();
    });
    const { port } = server.address() as AddressInfo;
    const args = [
      'run',
      join(scripts, 'tls.js'),
      '--local',
      '--host',
      `secure.test.local=127.0.0.1:${port}`,
    ];
    const trusted = await cli(args, { env: { ...process.env, NODE_EXTRA_CA_CERTS: cert } });
    assert.equal(trusted.code, 0, trusted.stderr);
    const untrusted = await cli(args, { env: { ...process.env, NODE_EXTRA_CA_CERTS: '' } });
    assert.equal(untrusted.code, 99, 'an unknown certificate fails the request');
    assert.match(untrusted.stderr, /Request Failed/);
    const skipped = await cli([...args, '-e', 'INSECURE=1'], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: '' },
    });
    assert.equal(skipped.code, 0, skipped.stderr);
  });

  it('runs TypeScript scripts', async () => {
    const result = await run('typed.ts', '--json');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(k6ResultOf(result.stdout).summary.metrics.checks?.values.rate, 1);
  });

  it('refuses targets outside the allowlist without sending (104)', async () => {
    const result = await cli([
      'run',
      join(scripts, 'basics.js'),
      '--local',
      '-e',
      'TARGET_HOST=10.255.255.1',
    ]);
    assert.equal(result.code, 104, result.stderr);
    assert.match(result.stderr, /10\.255\.255\.1 is not allowed/);
  });

  it("puts this process's environment in __ENV as k6 run does, unless told not to", async () => {
    const env = { ...process.env, TARGET_HOST: '10.255.255.1' };
    const hosts = HOSTS.flatMap((h) => ['--host', `${h}=127.0.0.1:${standIn.port}`]);
    const args = ['run', join(scripts, 'basics.js'), '--local', ...hosts];
    const included = await cli(args, { env });
    assert.equal(included.code, 104, 'TARGET_HOST reached __ENV');
    const excluded = await cli([...args, '--no-include-system-env-vars'], { env });
    assert.equal(excluded.code, 0, excluded.stderr);
  });
});
