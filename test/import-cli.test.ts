// `loadline import` on real captures: the 10,000-line Apache log (one bad line) and a
// Firefox HAR export, as users run it.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cli, root } from './support.js';

const data = join(root, '..', 'shared', 'data');
const log = join(data, 'logs', 'elastic-apache_logs.log');
const har = join(data, 'har', 'mitmproxy-firefox.har');
const absent = (file: string) => (existsSync(file) ? false : `reference data absent: ${file}`);
const dir = mkdtempSync(join(tmpdir(), 'loadline-import-'));

describe('loadline import', () => {
  it('refuses a log with a bad line (exit 2, FILE:LINE), imports the rest with --skip-bad', {
    skip: absent(log),
  }, async () => {
    const strict = await cli(['import', log]);
    assert.equal(strict.code, 2);
    // The first problem by line: 3011 asks for //favicon.ico (another host); 8899 is cut short.
    assert.match(strict.stderr, /elastic-apache_logs\.log:3011: a path may not start with "\/\/"/);
    assert.match(strict.stderr, /\(2 problems in all\)/, 'and line 8899, a truncated user agent');
    const out = join(dir, 'apache.json');
    const lenient = await cli(['import', log, '--skip-bad', '--json', '--out', out]);
    assert.equal(lenient.code, 0, lenient.stderr);
    const summary = JSON.parse(lenient.stdout);
    assert.equal(summary.format, 'access-log');
    assert.equal(summary.requests, 9998);
    assert.equal(summary.skipped, 2);
    assert.deepEqual(
      summary.errors.map((e: { line: number }) => e.line),
      [3011, 8899],
    );
    assert.ok(summary.mix.length > 10);
    const corpus = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(corpus.requests.length, 9998);
  });

  it('imports a browser HAR, sanitised, with its request mix', { skip: absent(har) }, async () => {
    const result = await cli(['import', har, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.format, 'har');
    assert.equal(summary.requests, 14);
  });

  it('remaps IDs and masks fields as told; a bad rule is exit 2 naming the flag', async () => {
    const file = join(dir, 'mini.log');
    writeFileSync(
      file,
      '10.0.0.1 - - [11/Nov/2026:00:00:00 +0000] "GET /api/users/42?token=s3cret HTTP/1.1" 200 12 "-" "curl/8"\n',
    );
    const out = join(dir, 'mini.json');
    const ok = await cli([
      'import',
      file,
      '--remap',
      'path:/api/users/(\\d+)=+900000000',
      '--mask',
      'query.token',
      '--out',
      out,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const [request] = JSON.parse(readFileSync(out, 'utf8')).requests;
    assert.match(request.path, /^\/api\/users\/900000042\?token=/);
    assert.doesNotMatch(request.path, /s3cret/);
    const bad = await cli(['import', file, '--remap', 'nowhere']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--remap/);
  });
});
