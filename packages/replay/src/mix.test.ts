import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pathTemplate, requestMix } from './mix.js';

describe('request mix', () => {
  it('normalises IDs in paths, keeps route words', () => {
    const cases: Array<[string, string]> = [
      ['/api/products/123?page=2', '/api/products/{id}'],
      ['/api/orders/0b9e6a7c-2f1d-4c9a-9a51-6f1f2b9e0c11/items', '/api/orders/{uuid}/items'],
      ['/img/42.png', '/img/{id}.png'],
      ['/v2/blobs/5f2b3c4d5e6f7a8b9c0d1e2f', '/v2/blobs/{hash}'],
      ['/reports/2015-05-17', '/reports/{date}'],
      ['/s/aB3dE5fG7hJ9kL1mN3pQ5r', '/s/{token}'],
      [
        '/presentations/logstash-monitorama-2013/images/kibana-search.png',
        '/presentations/logstash-monitorama-2013/images/kibana-search.png',
      ],
      [
        '/images/googlelogo_light_color_272x92dp.png',
        '/images/googlelogo_light_color_272x92dp.png',
      ],
      ['/', '/'],
    ];
    for (const [path, template] of cases) assert.equal(pathTemplate(path), template, path);
  });

  it('counts by method and template, with shares; the tail folds into other', () => {
    const requests = [
      ...Array.from({ length: 6 }, (_, i) => ({ method: 'GET', path: `/api/products/${i}` })),
      { method: 'POST', path: '/api/products/9' },
      { method: 'GET', path: '/a' },
      { method: 'GET', path: '/b' },
      { method: 'GET', path: '/c' },
    ];
    const mix = requestMix(requests, 2);
    assert.deepEqual(mix.entries, [
      { method: 'GET', template: '/api/products/{id}', count: 6, share: 0.6 },
      { method: 'GET', template: '/a', count: 1, share: 0.1 },
    ]);
    assert.equal(mix.total, 10);
    assert.equal(mix.distinct, 5);
    assert.deepEqual(mix.other, { templates: 3, count: 3, share: 0.3 });
  });
});
