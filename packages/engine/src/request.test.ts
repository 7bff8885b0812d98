import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endpointOf, serializeRequest, validateTarget } from './request.js';

describe('serializeRequest', () => {
  it('writes a complete HTTP/1.1 request once', () => {
    const text = serializeRequest({
      url: new URL('http://127.0.0.1:8080/api/cart?x=1'),
      method: 'POST',
      headers: [['Content-Type', 'application/json']],
      body: Buffer.from('{"sku":42}'),
    }).toString('latin1');
    assert.equal(
      text,
      'POST /api/cart?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: loadline/0.1.0\r\n' +
        'Accept: */*\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"sku":42}',
    );
  });

  it('lets user headers replace the defaults', () => {
    const text = serializeRequest({
      url: new URL('https://shop.test/'),
      method: 'GET',
      headers: [
        ['host', 'other.test'],
        ['User-Agent', 'me'],
      ],
    }).toString('latin1');
    assert.equal(
      text,
      'GET / HTTP/1.1\r\nAccept: */*\r\nhost: other.test\r\nUser-Agent: me\r\n\r\n',
    );
  });
});

describe('validateTarget', () => {
  it('refuses header injection and bad tokens', () => {
    const url = new URL('http://127.0.0.1/');
    assert.match(
      validateTarget({ url, method: 'GET', headers: [['X', 'a\r\nEvil: 1']] }) ?? '',
      /carriage return/,
    );
    assert.match(validateTarget({ url, method: 'GE T', headers: [] }) ?? '', /method/);
    assert.match(
      validateTarget({ url: new URL('ftp://x/'), method: 'GET', headers: [] }) ?? '',
      /scheme/,
    );
    assert.equal(validateTarget({ url, method: 'PATCH', headers: [['X-Ok', 'yes']] }), undefined);
  });
});

describe('endpointOf', () => {
  it('defaults ports and unwraps IPv6 literals', () => {
    assert.deepEqual(endpointOf(new URL('https://[::1]/')), {
      protocol: 'https:',
      host: '::1',
      port: 443,
      servername: '::1',
    });
    assert.equal(endpointOf(new URL('http://127.0.0.1/')).port, 80);
  });
});
