import assert from 'node:assert/strict';
import { it } from 'node:test';
import { TimeQueue } from './time-queue.js';

it('TimeQueue is FIFO across growth and wrap-around', () => {
  const queue = new TimeQueue(4);
  const expected: number[] = [];
  let next = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < (round % 7) + 1; i++) {
      queue.push(next);
      expected.push(next++);
    }
    for (let i = 0; i < round % 5; i++) assert.equal(queue.shift(), expected.shift());
    assert.equal(queue.length, expected.length);
    assert.equal(queue.peek(), expected[0]);
  }
  while (expected.length > 0) assert.equal(queue.shift(), expected.shift());
  assert.equal(queue.shift(), undefined);
});
