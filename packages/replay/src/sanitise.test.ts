import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSanitiser, MASK, parseMaskField, type Sanitisable } from './sanitise.js';

const request = (): Sanitisable => ({
  path: '/pay?token=s3cr3t&page=2&token=again',
  headers: [
    [':authority', 'shop.example'],
    ['Cookie', 'sessionid=abc'],
    ['Authorization', 'Bearer xyz'],
    ['Proxy-Authorization', 'Basic Zm9v'],
    ['Connection', 'keep-alive'],
    ['Host', 'shop.example'],
    ['Content-Length', '99'],
    ['Content-Type', 'application/json'],
    ['X-Api-Key', 'k-123'],
    ['Accept', 'application/json'],
  ],
  body: '{"card":{"number":"4111111111111111","cvc":"123"},"items":[{"sku":"a","card":{"number":"1"}}]}',
});

describe('sanitise', () => {
  it('drops credentials, hop-by-hop, framing and HTTP/2 pseudo-headers by default', () => {
    const r = request();
    createSanitiser({})(r);
    assert.deepEqual(r.headers, [
      ['Content-Type', 'application/json'],
      ['X-Api-Key', 'k-123'],
      ['Accept', 'application/json'],
    ]);
  });

  it('keeps named headers (any case), but never framing or pseudo-headers', () => {
    const r = request();
    createSanitiser({ keepHeaders: ['authorization', 'COOKIE', 'content-length', ':authority'] })(
      r,
    );
    assert.deepEqual(
      r.headers.map(([n]) => n),
      ['Cookie', 'Authorization', 'Content-Type', 'X-Api-Key', 'Accept'],
    );
  });

  it('masks query parameters, headers and JSON fields (nested, through arrays) with a fixed mask', () => {
    const r = request();
    const masked = createSanitiser({
      mask: ['query.token', 'header.x-api-key', 'body.card.number', 'body.items.card.number'],
    })(r);
    assert.equal(r.path, `/pay?token=${MASK}&page=2&token=${MASK}`);
    assert.deepEqual(
      r.headers.find(([n]) => n === 'X-Api-Key'),
      ['X-Api-Key', MASK],
    );
    assert.deepEqual(JSON.parse(r.body!), {
      card: { number: MASK, cvc: '123' },
      items: [{ sku: 'a', card: { number: MASK } }],
    });
    assert.equal(masked, 5);
  });

  it('masks form fields, leaves base64 and unparseable bodies byte for byte', () => {
    const form: Sanitisable = {
      path: '/login',
      headers: [['content-type', 'application/x-www-form-urlencoded']],
      body: 'user=ann&password=hunter%202',
    };
    createSanitiser({ mask: ['body.password'] })(form);
    assert.equal(form.body, `user=ann&password=${MASK}`);
    const binary: Sanitisable = {
      path: '/',
      headers: [],
      body: 'eyJhIjoxfQ==',
      bodyEncoding: 'base64',
    };
    createSanitiser({ mask: ['body.a'] })(binary);
    assert.equal(binary.body, 'eyJhIjoxfQ==');
    const broken: Sanitisable = {
      path: '/',
      headers: [['content-type', 'application/json']],
      body: '{"a": 1,',
    };
    createSanitiser({ mask: ['body.a'] })(broken);
    assert.equal(broken.body, '{"a": 1,');
  });

  it('rejects a mask field without a place', () => {
    assert.throws(
      () => parseMaskField('token'),
      /expected query\.NAME, header\.NAME or body\.PATH/,
    );
    assert.deepEqual(parseMaskField('body.card.number'), { in: 'body', name: 'card.number' });
  });
});
