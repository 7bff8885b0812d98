import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Corpus,
  corpusFromJson,
  corpusFromJsonLines,
  corpusToJson,
  corpusToJsonLines,
} from './corpus.js';
import { importCorpus } from './import.js';

const log = [
  '10.0.0.1 - - [01/Jan/2024:00:00:00 +0000] "GET /api/products/1 HTTP/1.1" 200 5 "-" "a"',
  '10.0.0.2 - - [01/Jan/2024:00:00:02 +0000] "GET /api/products/2 HTTP/1.1" 200 5 "-" "b"',
].join('\n');

describe('corpus serialisation', () => {
  const { corpus } = importCorpus(log, {
    source: 'access.log',
    importedAt: '2024-01-02T00:00:00.000Z',
  });

  it('round-trips through JSON and JSON Lines', () => {
    assert.deepEqual(corpusFromJson(corpusToJson(corpus)), corpus);
    const lines = [...corpusToJsonLines(corpus)];
    assert.equal(lines.length, 3);
    assert.deepEqual(corpusFromJsonLines(lines.join('')), corpus);
  });

  it('rejects a corpus that is not one (a boundary: nothing untyped flows inward)', () => {
    const bad = JSON.parse(corpusToJson(corpus));
    bad.requests[0].path = 'no-slash';
    assert.throws(() => corpusFromJson(JSON.stringify(bad)), /path/);
    assert.throws(
      () => corpusFromJsonLines([...corpusToJsonLines(corpus)].slice(0, 2).join('')),
      /1 request lines but its head says 2/,
    );
    assert.equal(
      Corpus.safeParse({ ...corpus, meta: { ...corpus.meta, version: 2 } }).success,
      false,
    );
  });
});
