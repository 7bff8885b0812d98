import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertTableName, parseJSONEachRow, toJSONCompactEachRow } from './driver.js';

describe('JSONCompactEachRow payloads', () => {
  test('every string survives, plain or not', () => {
    const strings = [
      'plain',
      'quote " and \\ backslash',
      'new\nline\ttab',
      'ünïcødé → ✓',
      "x'); DROP",
    ];
    const rows = strings.map((s, i) => ({ s, n: i, big: 1_795_440_000_123_456 }));
    const text = toJSONCompactEachRow(['s', 'n', 'big'], rows);
    const back = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      back,
      rows.map((r) => [r.s, r.n, r.big]),
    );
  });

  test('a missing column is an error, not a silent default', () => {
    assert.throws(() => toJSONCompactEachRow(['a', 'b'], [{ a: 1 }]), /no value for column b/);
  });

  test('JSONEachRow output parses line by line, blank lines ignored', () => {
    assert.deepEqual(parseJSONEachRow('{"a":1}\n{"a":"x\\ny"}\n\n'), [{ a: 1 }, { a: 'x\ny' }]);
    assert.deepEqual(parseJSONEachRow(''), []);
  });
});

describe('assertTableName', () => {
  test('plain names only', () => {
    assertTableName('intervals');
    assertTableName('loadline.intervals');
    assert.throws(() => assertTableName('intervals; DROP TABLE x'), RangeError);
    assert.throws(() => assertTableName('`x`'), RangeError);
  });
});
