import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { safeNext, signInPath } from './next-path';

describe('safeNext', () => {
  it('keeps a path of this console, with its query', () => {
    assert.equal(safeNext('/runs/run_1'), '/runs/run_1');
    assert.equal(safeNext('/runs?status=failed&x=%2F'), '/runs?status=failed&x=%2F');
  });

  it('lands on the runs list for anything that could leave the console', () => {
    for (const text of [
      null,
      '',
      'runs',
      'https://evil.example/',
      '//evil.example/x',
      '/\\evil.example',
      '/\t/evil.example',
      '/\n//evil.example',
      'javascript:alert(1)',
      '/login?next=/runs',
      `/${'a'.repeat(2001)}`,
    ]) {
      assert.equal(safeNext(text), '/runs', String(text));
    }
  });
});

describe('signInPath', () => {
  it('comes back to the page asked for', () => {
    assert.equal(signInPath('/audit?actor=user%3Aa'), '/login?next=%2Faudit%3Factor%3Duser%253Aa');
    assert.equal(signInPath('/login'), '/login');
  });
});
