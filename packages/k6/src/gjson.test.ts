import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gjson } from './gjson.js';

const doc = {
  name: { first: 'Tom', last: 'Anderson' },
  age: 37,
  children: ['Sara', 'Alex', 'Jack'],
  'fav.movie': 'Deer Hunter',
  friends: [
    { first: 'Dale', age: 44 },
    { first: 'Roger', age: 68 },
  ],
};

describe('gjson paths (res.json(selector))', () => {
  it('reads keys, indexes, lengths and every element’s key', () => {
    assert.equal(gjson(doc, 'name.last'), 'Anderson');
    assert.equal(gjson(doc, 'children.1'), 'Alex');
    assert.equal(gjson(doc, 'children.#'), 3);
    assert.deepEqual(gjson(doc, 'friends.#.first'), ['Dale', 'Roger']);
    assert.equal(gjson(doc, 'friends.1.age'), 68);
  });
  it('escapes dots and matches wildcards; a missing path is undefined', () => {
    assert.equal(gjson(doc, 'fav\\.movie'), 'Deer Hunter');
    assert.equal(gjson(doc, 'name.f*'), 'Tom');
    assert.equal(gjson(doc, 'a?e'), 37);
    assert.equal(gjson(doc, 'name.middle'), undefined);
    assert.equal(gjson(doc, 'children.7'), undefined);
    assert.equal(gjson([{ id: 1 }], '0.id'), 1);
  });
});
