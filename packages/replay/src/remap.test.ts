import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRemapRule, Remapper, ruleLabel } from './remap.js';
import type { Sanitisable } from './sanitise.js';

const req = (path: string, body?: string): Sanitisable => ({
  path,
  headers: body ? [['content-type', 'application/json']] : [],
  ...(body ? { body } : {}),
});

describe('remap', () => {
  it('parses the CLI syntax and round-trips the label', () => {
    assert.deepEqual(parseRemapRule('path:/api/users/(\\d+)=+900000000'), {
      in: 'path',
      pattern: '/api/users/(\\d+)',
      offset: 900000000,
    });
    assert.deepEqual(parseRemapRule('query:user_id=9e8..9.1e8'), {
      in: 'query',
      name: 'user_id',
      to: [9e8, 9.1e8],
    });
    assert.equal(ruleLabel(parseRemapRule('body:order.userId=-5')), 'body:order.userId=-5');
    assert.throws(() => parseRemapRule('path:/api/users/\\d+=+1'), /capture group/);
    assert.throws(() => parseRemapRule('path:/api/(users=+1'), /not a valid regular expression/);
    assert.throws(() => parseRemapRule('query:id=9..3'), /min < max/);
    assert.throws(() => parseRemapRule('cookie:id=+1'), /expected IN:SELECTOR/);
    assert.throws(() => parseRemapRule('query:id=42'), /neither \+OFFSET nor MIN\.\.MAX/);
  });

  it('offsets numeric IDs in paths (every match, every group), leaving the query alone', () => {
    const remapper = new Remapper([parseRemapRule('path:/(?:users|orders)/(\\d+)=+900000000')]);
    const r = req('/users/42/orders/7?users/1');
    remapper.apply(r);
    assert.equal(r.path, '/users/900000042/orders/900000007?users/1');
    assert.deepEqual(remapper.counts, { 'path:/(?:users|orders)/(\\d+)=+900000000': 2 });
  });

  it('hashes into a range: deterministic, same ID → same shadow, no two IDs share one', () => {
    const rule = { in: 'query' as const, name: 'id', to: [1000, 1010] as [number, number] };
    const run = () => {
      const remapper = new Remapper([rule]);
      return Array.from({ length: 10 }, (_, i) => {
        const r = req(`/p?id=user-${i}`);
        remapper.apply(r);
        return r.path;
      });
    };
    const first = run();
    assert.deepEqual(run(), first, 'not deterministic');
    const shadows = first.map((p) => Number(p.split('=')[1]));
    assert.equal(new Set(shadows).size, 10, 'two IDs collided');
    assert.ok(shadows.every((id) => id >= 1000 && id < 1010));
    const remapper = new Remapper([rule]);
    const a = req('/p?id=user-3');
    const b = req('/q?id=user-3');
    remapper.apply(a);
    remapper.apply(b);
    assert.equal(a.path.split('=')[1], b.path.split('=')[1]);
  });

  it('rules with one transform share a table: a user in a path and a JSON body stay one user', () => {
    const remapper = new Remapper([
      parseRemapRule('path:/api/users/(\\d+)=900000000..910000000'),
      parseRemapRule('body:order.userId=900000000..910000000'),
      parseRemapRule('body:items.sku=+1000'),
    ]);
    const a = req('/api/users/42');
    const b = req('/api/orders', '{"order":{"userId":42},"items":[{"sku":5},{"sku":"x"}]}');
    remapper.apply(a);
    remapper.apply(b);
    const body = JSON.parse(b.body!);
    assert.equal(typeof body.order.userId, 'number');
    assert.equal(a.path, `/api/users/${body.order.userId}`);
    assert.deepEqual(
      body.items,
      [{ sku: 1005 }, { sku: 'x' }],
      'a non-numeric ID cannot be offset',
    );
  });
});
