import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOG_VALUE_MAX, logFields, logText } from './log-text.js';

describe('logText', () => {
  it('keeps a value on one line: CR, LF and every other control character escaped', () => {
    const forged = 'orders\r\n{"level":"error","event":"forged"}';
    assert.equal(logText(forged), 'orders\\r\\n{"level":"error","event":"forged"}');
    assert.equal(
      logText('a\tb\u0000c\u001bd\u007fe\u0085f\u2028g\u2029h'),
      'a\\tb\\u0000c\\u001bd\\u007fe\\u0085f\\u2028g\\u2029h',
    );
    assert.equal(logText('plain café ünïcode'), 'plain café ünïcode');
  });

  it('cuts long values', () => {
    const long = logText('x'.repeat(LOG_VALUE_MAX + 100));
    assert.equal(long.length, LOG_VALUE_MAX + 1);
    assert.ok(long.endsWith('…'));
  });

  it('escapes every string of a fields object, keys and nested values too', () => {
    assert.deepEqual(logFields({ 'k\n': 'v\r', n: 1, nested: { a: ['x\ny'] }, none: null }), {
      'k\\n': 'v\\r',
      n: 1,
      nested: { a: ['x\\ny'] },
      none: null,
    });
  });
});
