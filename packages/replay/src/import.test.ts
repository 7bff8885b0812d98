import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ImportError } from './errors.js';
import { detectFormat, importCorpus } from './import.js';
import { importFile } from './import-file.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const chrome = join(repoRoot, '..', 'shared', 'data', 'har', 'mitmproxy-chrome.har');

const line = (i: number, path = `/api/users/${i}?token=t${i}`) =>
  `10.0.0.${i % 3} - - [01/Jan/2024:00:00:${String(i).padStart(2, '0')} +0000] "GET ${path} HTTP/1.1" 200 5 "-" "ua"`;

describe('importCorpus', () => {
  it('detects the format by extension, then by content', () => {
    assert.equal(detectFormat('x.har', ''), 'har');
    assert.equal(detectFormat('x.gor', ''), 'gor');
    assert.equal(detectFormat('capture', '\ufeff{ "log": {} }'), 'har');
    assert.equal(
      detectFormat('capture', Buffer.from('1 abc 1700000000000000000 0\nGET / HTTP/1.1\r\n')),
      'gor',
    );
    assert.equal(detectFormat('access.log', line(1)), 'access-log');
    assert.equal(detectFormat('notes.txt', 'hello'), undefined);
    assert.throws(
      () => importCorpus('hello', { source: 'notes.txt' }),
      /notes\.txt:1: cannot tell the format/,
    );
  });

  it('remaps, then masks, then summarises the mix', () => {
    const text = [line(1), line(2), line(1)].join('\n');
    const { corpus, summary } = importCorpus(text, {
      mask: ['query.token'],
      remap: [{ in: 'path', pattern: '/api/users/(\\d+)', offset: 900000000 }],
    });
    assert.deepEqual(
      corpus.requests.map((r) => r.path),
      [
        '/api/users/900000001?token=***',
        '/api/users/900000001?token=***',
        '/api/users/900000002?token=***',
      ],
    );
    assert.deepEqual(corpus.meta.remapped, { 'path:/api/users/(\\d+)=+900000000': 3 });
    assert.deepEqual(summary.mix, [
      { method: 'GET', template: '/api/users/{id}', count: 3, share: 1 },
    ]);
    assert.equal(summary.sessions, 2);
    assert.equal(summary.durationMs, 1000);
  });

  it('caps the error list but counts every problem; stops early without skipBad', () => {
    const text = Array.from({ length: 100 }, (_, i) => (i % 2 ? 'junk' : line(i % 60))).join('\n');
    assert.throws(
      () => importCorpus(text, { maxErrors: 5, source: 'a.log', format: 'access-log' }),
      (error: ImportError) => error.issues.length === 5 && error.total === 5,
    );
    const { summary } = importCorpus(text, { maxErrors: 5, skipBad: true, format: 'access-log' });
    assert.deepEqual([summary.requests, summary.skipped, summary.errors.length], [50, 50, 5]);
  });

  it('keeps only the selected hosts', {
    skip: existsSync(chrome) ? false : `${chrome} is absent`,
  }, async () => {
    const { corpus, summary } = await importFile(chrome, { hosts: ['mitmproxy.org'] });
    assert.equal(summary.source, 'mitmproxy-chrome.har');
    assert.deepEqual(
      corpus.requests.map((r) => r.host),
      ['mitmproxy.org'],
    );
    assert.equal(corpus.meta.excluded['host not selected'], 1);
  });

  it('importFile lets read errors through as they are', async () => {
    await assert.rejects(importFile('/nonexistent/x.har'), { code: 'ENOENT' });
  });
});
