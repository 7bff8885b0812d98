import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { corpusFromJson, corpusFromJsonLines } from './corpus.js';
import type { ImportError } from './errors.js';
import { type ImportOptions, importCorpus } from './import.js';
import { CaptureTooLargeError } from './import-file.js';
import { importFileStreaming, MAX_LOG_LINE_BYTES } from './import-stream.js';
import { splitRecords } from './split-records.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const apacheLog = join(repoRoot, '..', 'shared', 'data', 'logs', 'elastic-apache_logs.log');
const dir = mkdtempSync(join(tmpdir(), 'loadline-import-stream-'));
const importedAt = '2026-01-01T00:00:00.000Z';

const logLine = (second: number, path: string, client = '10.0.0.1', agent = 'curl/8') =>
  `${client} - - [01/Jan/2024:00:00:${String(second).padStart(2, '0')} +0000] "GET ${path} HTTP/1.1" 200 5 "-" "${agent}"`;

const SEPARATOR = '\n🐵🙈🙉\n';
const T0 = 1_700_000_000_000_000_000n;
const gorRecord = (type: number, id: string, ns: bigint, message: string) =>
  `${type} ${id} ${ns} 0\n${message}`;

/** Imports `file` both ways, into .json and .jsonl, and checks all three corpora agree. */
async function importBothWays(file: string, options: ImportOptions) {
  const inMemory = importCorpus(readFileSync(file), {
    importedAt,
    source: basename(file),
    ...options,
  });
  const json = join(dir, 'out.json');
  const jsonl = join(dir, 'out.jsonl');
  const summary = await importFileStreaming(file, { importedAt, ...options }, json);
  await importFileStreaming(file, { importedAt, ...options }, jsonl);
  assert.deepEqual(corpusFromJson(readFileSync(json, 'utf8')), inMemory.corpus);
  assert.deepEqual(corpusFromJsonLines(readFileSync(jsonl, 'utf8')), inMemory.corpus);
  // Byte for byte what JSON.stringify of the whole corpus writes.
  assert.equal(readFileSync(json, 'utf8'), JSON.stringify(inMemory.corpus));
  assert.deepEqual(summary, inMemory.summary);
  return inMemory.corpus;
}

describe('importFileStreaming', () => {
  it('writes the corpus the in-memory import builds: log out of order, seconds spread, hosts', async () => {
    const file = join(dir, 'mixed.log');
    writeFileSync(
      file,
      [
        logLine(3, '/api/products/7?token=s3cret'),
        logLine(1, 'http://shop.example/api/users/42', '10.0.0.2'),
        logLine(1, '/api/cart'),
        'not a log line',
        logLine(1, 'http://cdn.example/logo.png'),
        logLine(2, '/api/users/43', '10.0.0.3', 'Mozilla/5.0'),
        '',
        logLine(9, '-'),
      ].join('\r\n'),
    );
    const corpus = await importBothWays(file, {
      format: 'access-log',
      skipBad: true,
      mask: ['query.token'],
      remap: [{ in: 'path', pattern: '/api/users/(\\d+)', offset: 900000000 }],
      maxGapMs: 500,
    });
    assert.equal(corpus.requests.length, 5);
    assert.equal(corpus.meta.skipped, 1);
    const hosts = await importBothWays(file, {
      format: 'access-log',
      skipBad: true,
      hosts: ['shop.example'],
    });
    assert.deepEqual(
      hosts.requests.map((r) => r.path),
      ['/api/users/42'],
    );
  });

  it('writes the corpus the in-memory import builds from a .gor file', async () => {
    const file = join(dir, 'traffic.gor');
    const records = [
      gorRecord(1, 'c35001bb0a00000100000001', T0 + 5_000_000n, 'GET /b HTTP/1.1\r\n\r\n'),
      gorRecord(2, 'c35001bb0a00000100000001', T0 + 6_000_000n, 'HTTP/1.1 200 OK\r\n\r\n'),
      gorRecord(
        1,
        'c35101bb0a00000200000002',
        T0,
        'POST /a HTTP/1.1\r\nContent-Length: 4\r\n\r\n\u00ff\u00fe\n\n',
      ),
    ];
    writeFileSync(file, Buffer.from(records.join(SEPARATOR) + SEPARATOR, 'utf8'));
    const corpus = await importBothWays(file, {});
    assert.deepEqual(
      corpus.requests.map((r) => [r.path, r.source.line]),
      [
        ['/a', 11],
        ['/b', 1],
      ],
    );
  });

  it('agrees with the in-memory import on a real 10,000-line Apache log', {
    skip: existsSync(apacheLog) ? false : `${apacheLog} is absent`,
  }, async () => {
    const corpus = await importBothWays(apacheLog, { skipBad: true });
    // One of the 10,000 lines is broken, one asks for //favicon.ico (another host): 9,998.
    assert.equal(corpus.requests.length, 9998);
  });

  it('names bad lines as the in-memory import does, and passes over an endless one', async () => {
    const file = join(dir, 'bad.log');
    writeFileSync(
      file,
      [logLine(1, '/a'), 'x'.repeat(MAX_LOG_LINE_BYTES + 10), logLine(2, '/b'), 'junk'].join('\n'),
    );
    await assert.rejects(
      importFileStreaming(file, { format: 'access-log' }),
      (error: ImportError) => {
        assert.deepEqual(
          error.issues.map((i) => [i.line, i.message.slice(0, 30)]),
          [
            [2, 'longer than 1 MB'],
            [4, 'not a combined log line: expec'],
          ],
        );
        return true;
      },
    );
    const summary = await importFileStreaming(file, { format: 'access-log', skipBad: true });
    assert.deepEqual([summary.requests, summary.skipped], [2, 2]);
  });

  it('refuses a HAR too big to read whole, saying so and what to do', async () => {
    const file = join(dir, 'huge.har');
    writeFileSync(file, '');
    truncateSync(file, 300 * 1024 * 1024); // sparse: no disk, no time
    await assert.rejects(importFileStreaming(file, {}), (error: Error) => {
      assert.ok(error instanceof CaptureTooLargeError);
      assert.match(error.message, /^huge\.har is 300 MB, over the 256 MB limit for a HAR/);
      return true;
    });
  });
});

describe('splitRecords', () => {
  it('finds separators that straddle chunks, and passes over records past the limit', async () => {
    const text = `a${SEPARATOR}bb\nb${SEPARATOR}${'c'.repeat(40)}\nc${SEPARATOR}${SEPARATOR}d`;
    const bytes = Buffer.from(text, 'utf8');
    for (const size of [1, 2, 3, 5, 7, 64]) {
      const chunks = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) =>
        bytes.subarray(i * size, (i + 1) * size),
      );
      const pieces = [];
      for await (const batch of splitRecords(
        Readable.from(chunks),
        Buffer.from(SEPARATOR, 'utf8'),
        20,
      )) {
        pieces.push(...batch);
      }
      assert.deepEqual(
        pieces.map((p) => [p.bytes?.toString('utf8'), p.length, p.newlines]),
        [
          ['a', 1, 0],
          ['bb\nb', 4, 1],
          [undefined, 42, 1],
          ['', 0, 0],
          ['d', 1, 0],
        ],
        `chunks of ${size}`,
      );
      const third = pieces[2]!;
      assert.equal(bytes.subarray(third.offset, third.offset + 3).toString(), 'ccc');
    }
  });
});
