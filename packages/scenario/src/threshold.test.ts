import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { followJsonPath, parseExtract } from './extract.js';
import { parseTemplate } from './template.js';
import { compare, parseCondition, parseSelector } from './threshold.js';

describe('thresholds', () => {
  it('parses selectors with tags', () => {
    assert.deepEqual(parseSelector('latency{step:detail, flow:buy}'), {
      metric: 'latency',
      tags: { step: 'detail', flow: 'buy' },
    });
    assert.match(parseSelector('latncy') as string, /unknown metric "latncy"/);
    assert.match(parseSelector('latency{colour:red}') as string, /unknown tag "colour"/);
    // A replay step is its request's template, braces and all.
    assert.deepEqual(parseSelector('latency{step:GET /api/products/{id}}'), {
      metric: 'latency',
      tags: { step: 'GET /api/products/{id}' },
    });
  });

  it('parses conditions and compares', () => {
    assert.deepEqual(parseCondition('latency', 'p(99.9) <= 250.5'), {
      aggregation: 'p',
      percentile: 99.9,
      comparison: '<=',
      value: 250.5,
      source: 'p(99.9) <= 250.5',
    });
    assert.match(parseCondition('errors', 'rate<5') as string, /fraction between 0 and 1/);
    assert.match(parseCondition('latency', 'p(0)<5') as string, /outside/);
    assert.match(parseCondition('latency', 'p99<5') as string, /not a condition/);
    assert.equal(compare(299, '<', 300), true);
    assert.equal(compare(300, '<', 300), false);
    assert.equal(compare(300, '<=', 300), true);
  });
});

describe('extract', () => {
  it('parses and follows JSON paths', () => {
    const spec = parseExtract('json $.items[1]["the id"]');
    assert.ok(typeof spec !== 'string' && spec.from === 'json');
    assert.deepEqual(spec.path, ['items', 1, 'the id']);
    assert.equal(followJsonPath({ items: [{}, { 'the id': 7 }] }, spec.path), 7);
    assert.equal(followJsonPath({ items: [] }, spec.path), undefined);
  });

  it('checks header and regex extractors', () => {
    assert.deepEqual(parseExtract('header Location'), {
      from: 'header',
      name: 'location',
      source: 'header Location',
    });
    assert.match(parseExtract('regex id=\\d+') as string, /capture group/);
    assert.match(parseExtract('regex (') as string, /does not compile/);
    assert.match(parseExtract('json items') as string, /must start with \$/);
  });
});

describe('templates', () => {
  it('splits literals and expressions', () => {
    assert.deepEqual(parseTemplate('/p/${id}?page=${random(1,20)}&u=${users.name}'), [
      '/p/',
      { kind: 'variable', name: 'id' },
      '?page=',
      { kind: 'random', min: 1, max: 20 },
      '&u=',
      { kind: 'feeder', feeder: 'users', column: 'name' },
    ]);
    assert.match(parseTemplate('/${random(5,1)}') as string, /min ≤ max/);
    assert.match(parseTemplate('/${id') as string, /unclosed/);
  });
});
