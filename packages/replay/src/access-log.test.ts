import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseLogTime } from './access-log.js';
import type { ImportError } from './errors.js';
import { importCorpus } from './import.js';
import { planReplay } from './schedule.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const logPath = join(repoRoot, '..', 'shared', 'data', 'logs', 'elastic-apache_logs.log');
const skipReal = existsSync(logPath) ? false : `real access log ${logPath} is absent`;

describe('access log, the real 10,000-line Apache log (elastic/examples)', {
  skip: skipReal,
}, () => {
  const text = skipReal ? '' : readFileSync(logPath, 'utf8');

  it('fails on line 8899 (a truncated user agent) and 3011 (`GET //favicon.ico`) without skipBad', () => {
    assert.throws(
      () => importCorpus(text, { source: 'access.log' }),
      (error: ImportError) => {
        assert.equal(error.total, 2);
        // In line order, whichever check found each.
        assert.match(
          error.issues[1]?.message ?? '',
          /^not a combined log line: a quoted field is not closed: 46\.118\.127\.106 /,
        );
        assert.match(error.message, /^access\.log:3011: a path may not start with "\/\/"/);
        return true;
      },
    );
  });

  it('imports the other 9,998 lines in time order, well under a second', () => {
    const started = performance.now();
    const { corpus } = importCorpus(text, { source: 'access.log', skipBad: true });
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 1000, `import took ${elapsed.toFixed(0)} ms`);
    assert.equal(corpus.requests.length, 9998);
    assert.equal(corpus.meta.skipped, 2);
    assert.deepEqual(
      corpus.meta.skippedReasons.map((reason) => reason.line),
      [3011, 8899],
    );
    const methods: Record<string, number> = {};
    for (const r of corpus.requests) methods[r.method] = (methods[r.method] ?? 0) + 1;
    assert.deepEqual(methods, { GET: 9950, HEAD: 42, POST: 5, OPTIONS: 1 });
    // 2015-05-17 10:05:00 to 2015-05-20 21:05:59, despite half the lines being out of order.
    assert.equal(corpus.meta.startedAt, '2015-05-17T10:05:00.000Z');
    assert.ok(corpus.meta.durationMs >= 298_859_000 && corpus.meta.durationMs < 298_860_000);
    for (let i = 1; i < corpus.requests.length; i++) {
      assert.ok(
        corpus.requests[i]!.offsetMs >= corpus.requests[i - 1]!.offsetMs,
        `out of order at ${i}`,
      );
    }
    // Client IP + user agent sessions; keys are digests, not addresses.
    assert.ok(
      corpus.meta.sessions > 1000 && corpus.meta.sessions < 9998,
      `${corpus.meta.sessions}`,
    );
    assert.ok(!JSON.stringify(corpus.requests.slice(0, 50)).includes('83.149.9.216'));
    assert.deepEqual(corpus.mix.entries[0], {
      method: 'GET',
      template: '/favicon.ico',
      count: 799,
      share: 799 / 9998,
    });

    // 83 hours replayed 1000× faster on 4 agents: every request scheduled once, balanced.
    const plan = planReplay(corpus, { speed: 1000, agents: 4 });
    assert.equal(
      plan.shards.reduce((n, s) => n + [...s.sends()].length, 0),
      9998,
    );
    assert.ok(Math.abs(plan.durationMs - corpus.meta.durationMs / 1000) < 1);
    const loads = plan.shards.map((s) => s.requests);
    assert.ok(Math.max(...loads) <= Math.ceil((9998 / 4) * 1.02), `loads ${loads}`);
  });
});

describe('access log, synthetic lines', () => {
  const combined = (ip: string, time: string, request: string, ua = 'curl/8.0') =>
    `${ip} - - [${time}] "${request}" 200 512 "-" "${ua}"`;

  it('reports lines in another format with their numbers, all at once', () => {
    const log = [
      combined('10.0.0.1', '01/Jan/2024:00:00:00 +0000', 'GET /a HTTP/1.1'),
      '{"time":"2024-01-01T00:00:01Z","path":"/b"}',
      'Jan  1 00:00:02 web1 nginx: GET /c',
      combined('10.0.0.1', '01/Jan/2024:00:00:03 +0000', 'GET /d HTTP/1.1'),
    ].join('\n');
    assert.throws(
      () => importCorpus(log, { source: 'access.log', format: 'access-log' }),
      (error: ImportError) => {
        assert.deepEqual(
          error.issues.map((i) => i.line),
          [2, 3],
        );
        assert.match(
          error.message,
          /^access\.log:2: not a combined log line: looks like JSON: \{"time"/,
        );
        assert.match(error.message, /\(2 problems in all\)$/);
        assert.match(error.issues[1]!.message, /expected "HOST IDENT USER \[TIME\] " first/);
        return true;
      },
    );
    const { corpus } = importCorpus(log, { format: 'access-log', skipBad: true });
    assert.deepEqual(
      corpus.requests.map((r) => r.path),
      ['/a', '/d'],
    );
    assert.equal(corpus.meta.skipped, 2);
  });

  it('reads common log format, time zones, escapes and unreplayable request lines', () => {
    const log = [
      '192.168.1.9 - alice [10/Oct/2000:13:55:36 -0700] "POST /api/orders?id=7 HTTP/1.0" 201 2326',
      combined('10.0.0.2', '10/Oct/2000:20:55:37 +0000', '-'),
      combined(
        '10.0.0.2',
        '10/Oct/2000:20:55:38 +0000',
        'GET /q?s=\\"x\\" HTTP/1.1',
        'Agent \\"Q\\"',
      ),
      combined('10.0.0.3', '10/Oct/2000:20:55:39 +0000', 'GET http://proxy.example/p HTTP/1.1'),
    ].join('\r\n');
    const { corpus } = importCorpus(log, { format: 'access-log' });
    assert.deepEqual(
      corpus.requests.map((r) => [r.offsetMs, r.method, r.path]),
      [
        [0, 'POST', '/api/orders?id=7'],
        [2000, 'GET', '/q?s="x"'],
        [3000, 'GET', '/p'],
      ],
    );
    assert.deepEqual(corpus.requests[1]?.headers, [['user-agent', 'Agent "Q"']]);
    assert.equal(corpus.requests[2]?.host, 'proxy.example');
    assert.deepEqual(corpus.meta.excluded, { 'request line not replayable': 1 });
  });

  it('spreads one second of requests across it, in log order, unless told not to', () => {
    const log = [0, 1, 2, 3]
      .map((i) => combined('10.0.0.1', '01/Jan/2024:00:00:00 +0000', `GET /${i} HTTP/1.1`))
      .join('\n');
    assert.deepEqual(
      importCorpus(log).corpus.requests.map((r) => r.offsetMs),
      [0, 250, 500, 750],
    );
    assert.deepEqual(
      importCorpus(log, { spreadWithinSecond: false }).corpus.requests.map((r) => r.offsetMs),
      [0, 0, 0, 0],
    );
  });

  it('parses timestamps with offsets', () => {
    assert.equal(parseLogTime('10/Oct/2000:13:55:36 -0700'), Date.UTC(2000, 9, 10, 20, 55, 36));
    assert.equal(parseLogTime('10/Foo/2000:13:55:36 -0700'), undefined);
  });
});
