import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffStats, lineDiff } from './line-diff';

describe('lineDiff', () => {
  it('numbers lines on both sides and marks what changed', () => {
    const rows = lineDiff(
      'name: a\nload: { rate: 10 }\nflows: []\n',
      'name: a\nload: { rate: 20 }\nflows: []\nagents: 2\n',
    );
    assert.deepEqual(rows, [
      { kind: 'same', oldLine: 1, newLine: 1, text: 'name: a' },
      { kind: 'removed', oldLine: 2, text: 'load: { rate: 10 }' },
      { kind: 'added', newLine: 2, text: 'load: { rate: 20 }' },
      { kind: 'same', oldLine: 3, newLine: 3, text: 'flows: []' },
      { kind: 'added', newLine: 4, text: 'agents: 2' },
    ]);
    assert.deepEqual(diffStats(rows), { added: 2, removed: 1 });
  });

  it('says nothing changed for identical versions', () => {
    assert.deepEqual(diffStats(lineDiff('a\nb\n', 'a\nb\n')), { added: 0, removed: 0 });
  });
});
