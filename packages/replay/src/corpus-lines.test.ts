import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { corpusToJsonLines } from './corpus.js';
import { CorpusLinesReader } from './corpus-lines.js';
import { importCorpus } from './import.js';

const log = [
  '127.0.0.1 - - [06/Dec/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 12 "-" "ua"',
  '127.0.0.1 - - [06/Dec/2026:10:00:01 +0000] "GET /b HTTP/1.1" 200 12 "-" "ua"',
].join('\n');

describe('CorpusLinesReader', () => {
  it('reads what corpusToJsonLines writes, line by line, into the stored form', () => {
    const { corpus } = importCorpus(log, { format: 'access-log', source: 'x' });
    const reader = new CorpusLinesReader();
    for (const line of [...corpusToJsonLines(corpus)].join('').split('\n')) reader.accept(line);
    const read = reader.finish();
    assert.ok(read, JSON.stringify(reader.issues));
    assert.equal(read.requestCount, 2);
    assert.deepEqual(
      read.requestLines.map((line) => JSON.parse(line)),
      corpus.requests,
    );
    assert.deepEqual(read.meta, corpus.meta);
  });

  it('names the line and field of each problem, keeping the first few', () => {
    const { corpus } = importCorpus(log, { format: 'access-log', source: 'x' });
    const lines = [...corpusToJsonLines(corpus)].join('').split('\n');
    const reader = new CorpusLinesReader(2);
    reader.accept(lines[0] as string);
    reader.accept('{"method":"GET"}');
    reader.accept('not json');
    reader.accept(JSON.stringify({ ...JSON.parse(lines[1] as string), path: '//evil/x' }));
    assert.equal(reader.finish(), undefined);
    assert.equal(reader.issues.length, 2);
    assert.equal(reader.issues[0]?.line, 2);
    assert.ok(reader.problems >= 3);
    const short = new CorpusLinesReader();
    short.accept(lines[0] as string);
    assert.equal(short.finish(), undefined);
    assert.match(short.issues[0]?.message ?? '', /says 2 but 0 request lines came/);
    const empty = new CorpusLinesReader();
    assert.equal(empty.finish(), undefined);
    assert.match(empty.issues[0]?.message ?? '', /starts with a line/);
  });
});
