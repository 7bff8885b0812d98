import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generatePassword, hashPassword, passwordProblem, verifyPassword } from './passwords.js';

describe('passwords', () => {
  it('hash with scrypt and a fresh salt; verify only the same password', async () => {
    const first = await hashPassword('correct horse battery');
    const second = await hashPassword('correct horse battery');
    assert.match(first, /^scrypt\$N=32768,r=8,p=1\$/);
    assert.notEqual(first, second, 'salted');
    assert.equal(await verifyPassword('correct horse battery', first), true);
    assert.equal(await verifyPassword('correct horse batterY', first), false);
    assert.equal(await verifyPassword('', first), false);
  });

  it('an unknown user or a damaged hash never verifies', async () => {
    assert.equal(await verifyPassword('anything at all', undefined), false);
    assert.equal(await verifyPassword('anything at all', null), false);
    assert.equal(await verifyPassword('anything at all', 'scrypt$garbage'), false);
  });

  it('refuses short, huge and NUL passwords, naming the rule', () => {
    assert.match(passwordProblem('short') ?? '', /at least 12/);
    assert.match(passwordProblem('x'.repeat(2000)) ?? '', /at most 1024/);
    assert.match(passwordProblem(`long enough\0pass`) ?? '', /NUL/);
    assert.equal(passwordProblem(generatePassword()), undefined);
  });
});
