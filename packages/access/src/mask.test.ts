import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maskSecrets } from './mask.js';

test('every occurrence of every secret is masked, the longer first', () => {
  assert.equal(
    maskSecrets('Bearer s3cret-token failed; s3cret again', ['s3cret', 's3cret-token']),
    'Bearer *** failed; *** again',
  );
  assert.equal(maskSecrets('nothing here', ['s3cret', '']), 'nothing here');
});
