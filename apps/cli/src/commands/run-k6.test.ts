import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../exit-codes.js';
import { segmentOf } from './run-k6.js';

describe('--execution-segment', () => {
  it("reads k6's FROM:TO forms as one of n equal segments", () => {
    assert.deepEqual(segmentOf('0:1/2'), { index: 0, count: 2 });
    assert.deepEqual(segmentOf('1/2:1'), { index: 1, count: 2 });
    assert.deepEqual(segmentOf('2/3:1'), { index: 2, count: 3 });
    assert.deepEqual(segmentOf('25%:50%'), { index: 1, count: 4 });
    assert.deepEqual(segmentOf('1/4'), { index: 0, count: 4 });
    assert.deepEqual(segmentOf('0.5:0.75'), { index: 2, count: 4 });
    assert.equal(segmentOf(undefined), undefined);
  });
  it('refuses unequal, reversed and out-of-range segments', () => {
    for (const text of ['0:2/5', '1/2:1/3', '0:1.5', 'a:b', '1/3:3/4']) {
      assert.throws(() => segmentOf(text), UsageError, text);
    }
  });
});
