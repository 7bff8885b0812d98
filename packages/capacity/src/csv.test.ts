import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatCsvProblem, parseUslCsv } from './csv.js';

describe('parseUslCsv', () => {
  it('reads the header in any column order, skipping blank lines and CRLF', () => {
    const result = parseUslCsv(
      '\uFEFFthroughput,concurrency\r\n995.6,1\r\n\r\n1897,2\r\n',
      'a.csv',
    );
    assert.deepEqual(result, {
      ok: true,
      points: [
        { concurrency: 1, throughput: 995.6 },
        { concurrency: 2, throughput: 1897 },
      ],
    });
  });

  it('reports every bad line with its number', () => {
    const text = 'concurrency,throughput\n1,100\n2,abc\n0,50\n4\n5,-1\n6,1e3\n';
    const result = parseUslCsv(text, 'm.csv');
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(result.errors.map(formatCsvProblem), [
      'm.csv:3: throughput "abc" is not a number',
      'm.csv:4: concurrency must be > 0, got 0',
      'm.csv:5: expected 2 fields, got 1',
      'm.csv:6: throughput must be ≥ 0, got -1',
    ]);
  });

  it('requires the header and at least one row', () => {
    const noHeader = parseUslCsv('1,100\n2,190\n', 'x.csv');
    assert.ok(
      !noHeader.ok && /x\.csv:1: header must name/.test(formatCsvProblem(noHeader.errors[0]!)),
    );
    const empty = parseUslCsv('', 'e.csv');
    assert.ok(!empty.ok && empty.errors[0]!.message.startsWith('empty file'));
    const noRows = parseUslCsv('concurrency,throughput\n', 'h.csv');
    assert.ok(
      !noRows.ok &&
        formatCsvProblem(noRows.errors[0]!) === 'h.csv:1: no data rows after the header',
    );
  });
});
