import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResponseParseError, ResponseParser } from './response-parser.js';

interface Seen {
  status: number;
  keepAlive: boolean;
}

function parse(chunks: string[], options: { bodiless?: boolean; end?: boolean } = {}): Seen[] {
  const seen: Seen[] = [];
  const parser = new ResponseParser({
    onResponse: (status, keepAlive) => seen.push({ status, keepAlive }),
  });
  parser.bodiless = options.bodiless ?? false;
  for (const chunk of chunks) {
    // Feed from the middle of a larger reused buffer, as socket reads do.
    const bytes = Buffer.from(chunk, 'latin1');
    const buffer = Buffer.alloc(bytes.length + 16, 0x41);
    bytes.copy(buffer, 8);
    parser.feed(buffer, 8, 8 + bytes.length);
  }
  if (options.end) parser.end();
  return seen;
}

/** Every way of cutting `text` into two chunks, plus byte by byte. */
function splits(text: string): string[][] {
  const out: string[][] = [[...text]];
  for (let i = 1; i < text.length; i++) out.push([text.slice(0, i), text.slice(i)]);
  return out;
}

const ok = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello';
const chunked =
  'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n' +
  '5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: t\r\n\r\n';

describe('ResponseParser', () => {
  it('finds a Content-Length response however it is split', () => {
    for (const parts of splits(ok + ok)) {
      assert.deepEqual(
        parse(parts),
        [
          { status: 200, keepAlive: true },
          { status: 200, keepAlive: true },
        ],
        JSON.stringify(parts),
      );
    }
  });

  it('decodes chunked bodies with extensions and trailers, split anywhere', () => {
    for (const parts of splits(`${chunked}${ok}`)) {
      assert.deepEqual(
        parse(parts).map((s) => s.status),
        [201, 200],
      );
    }
  });

  it('does not mistake body bytes that look like a status line for a response', () => {
    const body = 'HTTP/1.1 500 X\r\n\r\n';
    const tricky = `HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
    assert.deepEqual(
      parse([tricky + ok]).map((s) => s.status),
      [200, 200],
    );
  });

  it('reads header names case-insensitively and honours Connection: close and HTTP/1.0', () => {
    assert.deepEqual(
      parse(['HTTP/1.1 503 Busy\r\nCONTENT-LENGTH: 0\r\nConnection: Close\r\n\r\n']),
      [{ status: 503, keepAlive: false }],
    );
    assert.deepEqual(parse(['HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi']), [
      { status: 200, keepAlive: false },
    ]);
    assert.deepEqual(
      parse(['HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi']),
      [{ status: 200, keepAlive: true }],
    );
  });

  it('knows which responses have no body', () => {
    const noBody =
      'HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n';
    assert.deepEqual(
      parse([noBody + ok]).map((s) => s.status),
      [204, 304, 200],
    );
    const head = 'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n';
    assert.deepEqual(
      parse([head + head], { bodiless: true }).map((s) => s.status),
      [200, 200],
    );
  });

  it('skips interim 1xx responses', () => {
    assert.deepEqual(
      parse([`HTTP/1.1 100 Continue\r\n\r\n${ok}`]).map((s) => s.status),
      [200],
    );
  });

  it('ends a body delimited by connection close', () => {
    assert.deepEqual(parse(['HTTP/1.1 200 OK\r\n\r\nstream', 'ing...'], { end: true }), [
      { status: 200, keepAlive: false },
    ]);
  });

  it('rejects what is not HTTP', () => {
    assert.throws(() => parse(['SSH-2.0-OpenSSH_9.2\r\n\r\n']), ResponseParseError);
    assert.throws(() => parse(['HTTP/1.1 abc OK\r\n\r\n']), ResponseParseError);
    assert.throws(
      () => parse(['HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n']),
      ResponseParseError,
    );
    assert.throws(
      () => parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n']),
      ResponseParseError,
    );
  });
});
