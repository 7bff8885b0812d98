import assert from 'node:assert/strict';
import { test } from 'node:test';
import { undocumentedFields } from './contract.js';

test('a field the schema dropped is named with its path', () => {
  const raw = { runs: [{ id: 'a', extra: 1 }], nextCursor: null };
  const parsed = { runs: [{ id: 'a' }], nextCursor: null };
  assert.deepEqual(undocumentedFields(raw, parsed), ['runs[0].extra']);
  assert.deepEqual(undocumentedFields(parsed, parsed), []);
});
