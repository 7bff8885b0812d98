import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpProblem } from '../problem.js';
import { SignInLimiter } from './sign-in-limiter.js';

test('holds a name back after its failures, from one address or from made-up ones', () => {
  const limiter = new SignInLimiter({
    perName: 3,
    perSource: 100,
    perNameAnywhere: 5,
    windowMs: 60_000,
  });
  const now = 1_000_000;
  for (let i = 0; i < 3; i++) limiter.fail('alice', '10.0.0.1', now);
  assert.throws(
    () => limiter.check('alice', '10.0.0.1', now),
    (e: unknown) => {
      assert.ok(e instanceof HttpProblem);
      assert.equal(e.status, 429);
      assert.equal(e.headers['retry-after'], '60');
      return true;
    },
  );
  limiter.check('bob', '10.0.0.1', now);
  limiter.check('alice', '10.0.0.2', now);
  // Addresses a proxy reports are the caller's to choose: the name is held back anyway.
  limiter.fail('alice', '10.0.0.2', now);
  limiter.fail('alice', '10.0.0.3', now);
  assert.throws(() => limiter.check('alice', '10.0.0.99', now), HttpProblem);
  // The window passes.
  limiter.check('alice', '10.0.0.99', now + 61_000);
});
