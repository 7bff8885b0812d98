import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ImportError } from './errors.js';
import { importCorpus } from './import.js';

const SEPARATOR = '\n🐵🙈🙉\n';
const record = (type: number, id: string, ns: bigint, message: string) =>
  `${type} ${id} ${ns} 0\n${message}`;
const gor = (...records: string[]) => Buffer.from(records.join(SEPARATOR) + SEPARATOR, 'utf8');
const T0 = 1_700_000_000_000_000_000n;
// GoReplay ≥ 1.3 ids: 16 hex of connection, 8 hex of TCP ack.
const conn1 = 'c35001bb0a000001';
const conn2 = 'c35101bb0a000002';

describe('GoReplay .gor import', () => {
  const file = gor(
    record(
      1,
      `${conn1}00000001`,
      T0,
      'GET /api/users/1 HTTP/1.1\r\nHost: shop.example\r\nCookie: x=1\r\n\r\n',
    ),
    record(
      2,
      `${conn1}00000001`,
      T0 + 2_000_000n,
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    ),
    record(
      1,
      `${conn2}00000009`,
      T0 + 1_500_000n,
      'POST /api/orders HTTP/1.1\r\nHost: shop.example\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"qty":2,"x":1}',
    ),
    record(
      1,
      `${conn1}00000077`,
      T0 + 10_250_000n,
      'PUT /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n\u00ff\u00fe\r\n0\r\n\r\n',
    ),
    record(3, `${conn1}00000077`, T0 + 11_000_000n, 'HTTP/1.1 204 No Content\r\n\r\n'),
  );

  it('replays requests only, in time order, with µs offsets and byte-exact bodies', () => {
    const { corpus } = importCorpus(file, { source: 'traffic.gor' });
    assert.equal(corpus.meta.format, 'gor');
    assert.deepEqual(corpus.meta.excluded, { responses: 1, 'replayed responses': 1 });
    assert.deepEqual(
      corpus.requests.map((r) => [r.offsetMs, r.method, r.path, r.source.line]),
      [
        [0, 'GET', '/api/users/1', 1],
        [1.5, 'POST', '/api/orders', 14],
        [10.25, 'PUT', '/up', 22],
      ],
    );
    // Content-Length bounds the body; framing headers are dropped (recomputed at replay).
    assert.equal(corpus.requests[1]?.body, '{"qty":2,"x":');
    assert.equal(
      corpus.requests[1]?.headers.some(([n]) => /content-length|host/i.test(n)),
      false,
    );
    assert.equal(corpus.requests[1]?.host, 'shop.example');
    // Chunked, not UTF-8 (ÿþ as UTF-8 is 4 bytes: c3 bf c3 be) → dechunked, then base64.
    assert.deepEqual(
      [corpus.requests[2]?.body, corpus.requests[2]?.bodyEncoding],
      [Buffer.from('ÿþ').subarray(0, 3).toString('base64'), 'base64'],
    );
  });

  it('one TCP connection is one session', () => {
    const { corpus } = importCorpus(file);
    assert.equal(corpus.requests[0]?.sessionKey, `conn:${conn1}`);
    assert.equal(corpus.requests[2]?.sessionKey, `conn:${conn1}`);
    assert.equal(corpus.requests[1]?.sessionKey, `conn:${conn2}`);
    assert.equal(corpus.meta.sessions, 2);
  });

  it('a forwarded client beats the connection (a load balancer pools connections)', () => {
    const pooled = gor(
      record(
        1,
        `${conn1}00000001`,
        T0,
        'GET /a HTTP/1.1\r\nX-Forwarded-For: 1.2.3.4, 10.0.0.1\r\n\r\n',
      ),
      record(1, `${conn1}00000002`, T0, 'GET /b HTTP/1.1\r\nX-Forwarded-For: 5.6.7.8\r\n\r\n'),
      record(1, 'a1b2c3', T0, 'GET /c HTTP/1.1\r\n\r\n'),
    );
    const keys = importCorpus(pooled).corpus.requests.map((r) => r.sessionKey);
    assert.match(keys[0]!, /^client:/);
    assert.notEqual(keys[0], keys[1]);
    assert.equal(keys[2], 'req:a1b2c3');
  });

  it('a malformed record names its line; skipBad keeps the rest', () => {
    const bad = gor(
      record(1, `${conn1}00000001`, T0, 'GET /a HTTP/1.1\r\n\r\n'),
      'garbage header\nGET /b HTTP/1.1\r\n\r\n',
      record(1, `${conn1}00000003`, T0, 'POST /c HTTP/1.1\r\nContent-Length: 100\r\n\r\nshort'),
    );
    // Record 2 starts on line 6 (record 1 is 4 lines, then the separator); record 3's
    // request line is line 12.
    assert.throws(
      () => importCorpus(bad, { source: 'x.gor' }),
      (err: ImportError) => {
        assert.deepEqual(
          err.issues.map((i) => i.line),
          [6, 12],
        );
        assert.match(err.message, /^x\.gor:6: not a gor record header/);
        assert.match(
          err.issues[1]!.message,
          /malformed gor request .*body has 5 bytes, Content-Length says 100/,
        );
        return true;
      },
    );
    const { corpus } = importCorpus(bad, { skipBad: true });
    assert.deepEqual([corpus.requests.length, corpus.meta.skipped], [1, 2]);
  });
});
