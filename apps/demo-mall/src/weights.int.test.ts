// The gateway's weights admin API: shift a service's traffic between its instances, as an
// online single-machine capacity test raises one machine's share until it breaks.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RequestEvent } from './http.js';
import { type DemoMall, startDemoMall } from './server.js';
import { Upstream } from './upstream.js';

describe('weighted upstream picks', () => {
  it('spreads a heavy instance evenly (smooth weighted round-robin)', () => {
    const up = new Upstream('catalog', ['http://a:1', 'http://b:1', 'http://c:1']);
    up.setWeights([5, 1, 1]);
    const order = Array.from({ length: 7 }, () => up.pick().hostname).join('');
    assert.equal(order, 'aabacaa');
    assert.throws(() => up.setWeights([1, 1]), /3 instance\(s\), got 2/);
    assert.throws(() => up.setWeights([0, 0, 0]), /at least one above 0/);
    up.setWeights([0, 1, 0]);
    assert.deepEqual(
      Array.from({ length: 3 }, () => up.pick().hostname),
      ['b', 'b', 'b'],
    );
  });
});

describe('gateway weights admin API', () => {
  let mall: DemoMall;
  const seen: RequestEvent[] = [];

  before(async () => {
    mall = await startDemoMall({
      port: 0,
      redisUrl: null,
      instances: { catalog: 2 },
      onRequest: (event) => seen.push(event),
    });
  });
  after(() => mall.close());

  const put = (body: unknown) =>
    fetch(`${mall.url}/admin/weights`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('sends each instance its share, and refuses bad weights changing nothing', async () => {
    assert.deepEqual(
      ((await (await fetch(`${mall.url}/admin/weights`)).json()) as { catalog: number[] }).catalog,
      [1, 1],
    );
    const set = await put({ catalog: [3, 1] });
    assert.equal(set.status, 200);
    assert.deepEqual(((await set.json()) as { catalog: number[] }).catalog, [3, 1]);
    seen.length = 0;
    for (let i = 0; i < 40; i++) {
      assert.equal((await fetch(`${mall.url}/api/products/${i + 1}`)).status, 200);
    }
    const hits = [0, 1].map(
      (n) => seen.filter((e) => e.service === 'catalog' && e.instance === n).length,
    );
    assert.deepEqual(hits, [30, 10]);

    const wrong = await put({ catalog: [1, 1, 1] });
    assert.equal(wrong.status, 422);
    const unknown = await put({ search: [1] });
    assert.equal(unknown.status, 422);
    // cart has one instance: the whole request is refused, catalog's part too.
    const mixed = await put({ catalog: [1, 0], cart: [1, 1] });
    assert.equal(mixed.status, 422);
    const malformed = await put({ catalog: [] });
    assert.equal(malformed.status, 400);
    assert.deepEqual(
      ((await (await fetch(`${mall.url}/admin/weights`)).json()) as { catalog: number[] }).catalog,
      [3, 1],
    );
  });
});
