import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { logErrors } from './errors.js';

describe('logErrors', () => {
  it('logs each error with its source, a burst of the same one once with its count', () => {
    const emitter = new EventEmitter();
    const lines: string[] = [];
    logErrors(emitter, 'shard worker loadline-shards', (line) => lines.push(line));
    for (let i = 0; i < 5; i++) emitter.emit('error', new Error('connect ECONNREFUSED'));
    emitter.emit('error', new Error('lock lost'));
    assert.deepEqual(lines, [
      'shard worker loadline-shards: connect ECONNREFUSED',
      'shard worker loadline-shards: lock lost (the previous error repeated 4 more times)',
    ]);
  });

  it('says a repeat again once the quiet time has passed', async () => {
    const emitter = new EventEmitter();
    const lines: string[] = [];
    logErrors(emitter, 'q', (line) => lines.push(line), 10);
    emitter.emit('error', new Error('down'));
    await new Promise((r) => setTimeout(r, 20));
    emitter.emit('error', new Error('down'));
    assert.deepEqual(lines, ['q: down', 'q: down']);
  });
});
