import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeCursor, encodeCursor } from './cursor.js';
import { idTime, newId } from './ids.js';

describe('newId', () => {
  it('makes prefixed ids that sort by creation time', () => {
    const early = newId('run', Date.parse('2025-01-01T00:00:00Z'));
    const late = newId('run', Date.parse('2025-01-01T00:00:01Z'));
    assert.match(early, /^run_[0-9A-HJKMNP-TV-Z]{26}$/);
    assert.ok(early < late);
    assert.equal(idTime(late)?.toISOString(), '2025-01-01T00:00:01.000Z');
  });

  it('increases strictly within one millisecond and when the clock steps back', () => {
    const now = Date.parse('2030-06-01T00:00:00Z');
    const ids = Array.from({ length: 1000 }, () => newId('run', now));
    ids.push(newId('run', now - 5000));
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('reads no time from what is not an id', () => {
    assert.equal(idTime('run_123'), undefined);
    assert.equal(idTime('nonsense'), undefined);
  });
});

describe('run cursors', () => {
  it('round-trip a position to millisecond precision', () => {
    const position = { createdAt: new Date('2025-03-04T05:06:07.089Z'), id: 'run_01ABC' };
    assert.deepEqual(decodeCursor(encodeCursor(position)), position);
  });

  it('reject what they did not make', () => {
    for (const bad of ['', 'not base64!', Buffer.from('no-bar').toString('base64url')]) {
      assert.equal(decodeCursor(bad), undefined, bad);
    }
    assert.equal(decodeCursor(Buffer.from('yesterday|run_1').toString('base64url')), undefined);
  });
});
