// End to end: the installed `loadline` binary against a real HTTP server on 127.0.0.1.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeHistogram, readHlog } from '@loadline/histogram';
import { cli, closeHttp, freePort, serveHttp } from './support.js';

let server: http.Server;
let base = '';
let served = 0;

before(async () => {
  ({ server, base } = await serveHttp((req, res) => {
    served++;
    res.statusCode = req.url === '/missing' ? 404 : 200;
    res.end('ok');
  }));
});

after(() => closeHttp(server));

describe('loadline bench', () => {
  it('--json prints one object with the documented fields', async () => {
    served = 0;
    const result = await cli([
      'bench',
      '--url',
      `${base}/`,
      '--rate',
      '300',
      '--duration',
      '2s',
      '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'exactly one line of JSON on stdout');
    const json = JSON.parse(lines[0] as string);
    assert.equal(json.requests, 600);
    assert.equal(served, 600);
    assert.equal(json.errors, 0);
    // late needs a send >10 ms behind schedule: only hiccups of a loaded VM cause any.
    assert.ok(json.late <= 12, `late ${json.late}`);
    assert.equal(json.dropped, 0);
    assert.equal(json.durationS, 2);
    assert.equal(json.targetRps, 300);
    assert.ok(Math.abs(json.achievedRps - 300) < 3);
    assert.deepEqual(json.statusCodes, { '200': 600 });
    for (const key of ['min', 'mean', 'p50', 'p90', 'p99', 'p999', 'max']) {
      assert.equal(typeof json.latencyMs[key], 'number', key);
    }
    assert.ok(json.latencyMs.p99 >= json.latencyMs.p50);
    assert.equal(decodeHistogram(json.histogram).totalCount, 600);
  });

  it('prints a table without --json and counts non-2xx as errors', async () => {
    const result = await cli([
      'bench',
      '--url',
      `${base}/missing`,
      '--connections',
      '2',
      '--duration',
      '1s',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /closed model, 2 connections/);
    assert.match(result.stdout, /errors +[\d,]+ +100\.00%/);
    assert.match(result.stdout, /404 × [\d,]+/);
    assert.match(result.stdout, /p99\.9/);
  });

  it('--hlog writes an HdrHistogram interval log with every response in it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'loadline-hlog-')), 'run.hlog');
    const result = await cli([
      'bench',
      '--url',
      `${base}/`,
      '--rate',
      '200',
      '--duration',
      '3s',
      '--json',
      '--hlog',
      file,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^#\[StartTime: \d+\.\d{3} \(seconds since epoch\)/m);
    assert.doesNotMatch(text, /Tag=/);
    const log = readHlog(text);
    assert.ok(log.intervals.length >= 3 && log.intervals.length <= 4, `${log.intervals.length}`);
    const total = log.intervals.reduce((n, i) => n + i.histogram.totalCount, 0);
    assert.equal(total, 600);
    assert.equal(JSON.parse(result.stdout).requests, 600);
  });

  it('says clearly when every request failed, and exits 1', async () => {
    const port = await freePort();
    const result = await cli([
      'bench',
      '--url',
      `http://127.0.0.1:${port}/`,
      '--rate',
      '50',
      '--duration',
      '1s',
      '--json',
    ]);
    assert.equal(result.code, 1);
    const json = JSON.parse(result.stdout);
    assert.equal(json.errors, 50);
    assert.deepEqual(json.transportErrors, { ECONNREFUSED: 50 });
    assert.match(
      result.stderr,
      /every request failed \(ECONNREFUSED × 50\) — is anything listening/,
    );
  });

  it('stops on Ctrl-C, still reports, and exits 3', async () => {
    const result = await cli(
      ['bench', '--url', `${base}/`, '--rate', '100', '--duration', '1m', '--json'],
      { onStart: (child) => setTimeout(() => child.kill('SIGINT'), 1500) },
    );
    assert.equal(result.code, 3, result.stderr);
    const json = JSON.parse(result.stdout);
    assert.equal(json.aborted, true);
    assert.ok(json.requests > 50 && json.requests < 250, `${json.requests}`);
  });

  for (const [args, pattern] of [
    [['--url', 'http://127.0.0.1:1/', '--rate', '-5', '--duration', '1s'], /--rate: expected/],
    [
      ['--url', 'http://127.0.0.1:1/', '--rate', '5', '--duration', '10 parsecs'],
      /--duration: expected/,
    ],
    [
      ['--url', 'http://127.0.0.1:1/', '--rate', '5', '--duration', '1s', '--header', 'oops'],
      /--header: expected/,
    ],
    [['--url', '127.0.0.1:1/', '--rate', '5', '--duration', '1s'], /--url: expected an absolute/],
    [
      ['--url', 'http://127.0.0.1:1/', '--rate', '5', '--duration', '1s', '--frob'],
      /unknown option '--frob'/,
    ],
    [['--url', 'http://127.0.0.1:1/', '--duration', '1s'], /choose a load model/],
  ] as const) {
    it(`rejects ${args.slice(2).join(' ')} with one line and exit 2`, async () => {
      const result = await cli(['bench', ...args]);
      assert.equal(result.code, 2);
      assert.equal(result.stdout, '');
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, pattern);
    });
  }
});
