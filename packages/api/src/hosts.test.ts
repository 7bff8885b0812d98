import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  hostAllowed,
  hostMatcher,
  hostOf,
  hostPatternProblem,
  isLoopback,
  LOOPBACK_HOSTS,
  parseIp,
} from './hosts.js';

const env = (...allowedHosts: string[]) => ({ allowedHosts });

describe('hostAllowed', () => {
  it('matches IPv4 literals against CIDR blocks and exact addresses', () => {
    const local = env('127.0.0.0/8', '10.1.2.3', '192.168.0.0/23');
    assert.equal(hostAllowed(local, 'http://127.0.0.1:8080/x'), true);
    assert.equal(hostAllowed(local, 'http://127.255.255.254/'), true);
    assert.equal(hostAllowed(local, 'http://128.0.0.1/'), false);
    assert.equal(hostAllowed(local, 'https://10.1.2.3/'), true);
    assert.equal(hostAllowed(local, 'https://10.1.2.4/'), false);
    assert.equal(hostAllowed(local, 'http://192.168.1.200/'), true, '/23 covers .0 and .1');
    assert.equal(hostAllowed(local, 'http://192.168.2.1/'), false);
  });

  it('sees through the spellings a URL parser normalises', () => {
    const local = env('127.0.0.0/8');
    assert.equal(hostAllowed(local, 'http://2130706433/'), true, 'decimal 127.0.0.1');
    assert.equal(hostAllowed(local, 'http://0x7f.1/'), true, 'hex and short form');
    assert.equal(hostAllowed(local, 'http://[::ffff:127.0.0.1]/'), true, 'IPv4-mapped IPv6');
    assert.equal(hostAllowed(env('::ffff:127.0.0.0/104'), 'http://127.9.9.9/'), true);
  });

  it('matches IPv6 literals', () => {
    const v6 = env('::1', 'fd00::/8', '2001:db8:abcd::/48');
    assert.equal(hostAllowed(v6, 'http://[::1]:3000/'), true);
    assert.equal(hostAllowed(v6, 'http://[0:0:0:0:0:0:0:1]/'), true);
    assert.equal(hostAllowed(v6, 'http://[::2]/'), false);
    assert.equal(hostAllowed(v6, 'http://[fd12:3456::1]/'), true);
    assert.equal(hostAllowed(v6, 'http://[fe80::1]/'), false);
    assert.equal(hostAllowed(v6, 'http://[2001:db8:abcd:12::1]/'), true);
    assert.equal(hostAllowed(v6, 'http://[2001:db8:abce::1]/'), false);
    assert.equal(hostAllowed(v6, 'http://127.0.0.1/'), false, 'families never mix');
  });

  it('matches names exactly and wildcards below their suffix only', () => {
    const shop = env('localhost', '*.shop.internal', 'API.Example.com');
    assert.equal(hostAllowed(shop, 'http://localhost:3000/'), true);
    assert.equal(hostAllowed(shop, 'http://LOCALHOST./'), true, 'case and trailing dot');
    assert.equal(hostAllowed(shop, 'https://cart.shop.internal/'), true);
    assert.equal(hostAllowed(shop, 'https://a.b.shop.internal/'), true, 'any depth');
    assert.equal(hostAllowed(shop, 'https://shop.internal/'), false, 'not the apex');
    assert.equal(hostAllowed(shop, 'https://evilshop.internal/'), false);
    assert.equal(hostAllowed(shop, 'https://shop.internal.evil.com/'), false);
    assert.equal(hostAllowed(shop, 'https://api.example.com/'), true);
    assert.equal(hostAllowed(shop, 'https://www.example.com/'), false);
  });

  it('never resolves names: a name does not match an address entry and vice versa', () => {
    assert.equal(hostAllowed(env('127.0.0.0/8'), 'http://localhost/'), false);
    assert.equal(hostAllowed(env('localhost'), 'http://127.0.0.1/'), false);
  });

  it('refuses what has no host', () => {
    const all = env('localhost', '0.0.0.0/0', '::/0');
    assert.equal(hostAllowed(all, 'not a url'), false);
    assert.equal(hostAllowed(all, 'file:///etc/passwd'), false);
    assert.equal(hostAllowed(all, '/relative/path'), false);
    assert.equal(hostAllowed(all, new URL('http://10.0.0.1/')), true, '0.0.0.0/0 is all IPv4');
    assert.equal(hostAllowed(env(), 'http://localhost/'), false, 'an empty list allows nothing');
  });

  it('ignores invalid entries instead of matching too much', () => {
    const matcher = hostMatcher([
      '*',
      'localhost:70000',
      '10.0.0.0/33',
      '127.0.0.1:9-1',
      'ok.internal',
    ]);
    assert.equal(matcher('http://anything.example/'), false);
    assert.equal(matcher('http://10.0.0.1/'), false);
    assert.equal(matcher('http://localhost:70/'), false, 'a bad port is not "any port"');
    assert.equal(matcher('http://127.0.0.1:5/'), false, 'nor is a reversed range');
    assert.equal(matcher('http://ok.internal/'), true);
  });
});

describe('hostPatternProblem', () => {
  it('accepts names, wildcards, addresses and blocks', () => {
    for (const ok of [
      'localhost',
      '*.shop.internal',
      'svc-1.ns.svc.cluster.local',
      '127.0.0.1',
      '127.0.0.0/8',
      '::1',
      '[::1]',
      'fd00::/8',
      '0.0.0.0/0',
    ]) {
      assert.equal(hostPatternProblem(ok), undefined, ok);
    }
  });

  it('explains what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['http://shop.internal', /has a scheme/],
      ['10.0.0.0/33', /longer than the 32 bits/],
      ['10.0.0.0/x', /not a prefix length/],
      ['10.0.0/8', /not an IP address/],
      ['*', /only allowed as a leading/],
      ['a.*.internal', /only allowed as a leading/],
      ['*.', /not a valid wildcard/],
      ['bad_host!', /not a host name/],
      ['-leading.dash', /not a host name/],
      ['010.0.0.1', /not a host name/],
    ];
    for (const [entry, message] of cases) {
      assert.match(hostPatternProblem(entry) ?? '(accepted)', message, entry);
    }
  });
});

describe('ports', () => {
  it('allows only the port or range an entry names; no port means every port', () => {
    const allow = hostMatcher(['127.0.0.1:8080', '127.0.0.2:8000-8999', 'localhost']);
    assert.equal(allow('http://127.0.0.1:8080/x'), true);
    assert.equal(allow('http://127.0.0.1:7700/'), false, 'control');
    assert.equal(allow('http://127.0.0.1:6379/'), false, 'Redis');
    assert.equal(allow('http://127.0.0.1:5432/'), false, 'Postgres');
    assert.equal(allow('http://127.0.0.2:8000/'), true, 'range start');
    assert.equal(allow('http://127.0.0.2:8999/'), true, 'range end');
    assert.equal(allow('http://127.0.0.2:9000/'), false);
    assert.equal(allow('http://127.0.0.2:7999/'), false);
    assert.equal(allow('http://localhost:6379/'), true, 'a port-less entry keeps every port');
  });

  it("uses the scheme's default port when the URL names none", () => {
    const web = hostMatcher(['*.shop.internal:443', 'plain.internal:80']);
    assert.equal(web('https://cart.shop.internal/'), true);
    assert.equal(web('https://cart.shop.internal:443/'), true);
    assert.equal(web('http://cart.shop.internal/'), false, 'http is port 80');
    assert.equal(web('https://cart.shop.internal:8443/'), false);
    assert.equal(web('http://plain.internal/'), true);
    assert.equal(web('ws://plain.internal/'), true, 'ws is port 80 too');
    assert.equal(web('wss://plain.internal/'), false);
    assert.equal(web('http://plain.internal:80/'), true, 'the URL parser drops :80');
  });

  it('reads IPv6 ports in brackets only, and CIDR blocks with ports', () => {
    const v6 = hostMatcher(['[::1]:8080', '[fd00::/8]:443', '10.0.0.0/8:80', 'fe80::1:8080']);
    assert.equal(v6('http://[::1]:8080/'), true);
    assert.equal(v6('http://[::1]:8081/'), false);
    assert.equal(v6('https://[fd12::5]/'), true);
    assert.equal(v6('http://[fd12::5]/'), false);
    assert.equal(v6('http://10.1.2.3/'), true);
    assert.equal(v6('http://10.1.2.3:8080/'), false);
    // Unbracketed, fe80::1:8080 is one address (last group 0x8080), on every port.
    assert.equal(v6('http://[fe80::1:8080]:9/'), true);
    assert.equal(v6('http://[fe80::1]:8080/'), false);
    assert.equal(hostMatcher(['[::1]'])('http://[::1]:1234/'), true);
  });

  it('names what is wrong with a port', () => {
    const cases: [string, RegExp][] = [
      ['127.0.0.1:70000', /port 70000 is out of range \(1-65535\)/],
      ['127.0.0.1:0', /port 0 is out of range/],
      ['127.0.0.1:9000-8000', /range 9000-8000 is reversed/],
      ['localhost:http', /port "http" is not a number/],
      ['localhost:', /port after ":" is missing/],
      ['localhost:1-2-3', /not a port or a port range/],
      ['[::1]:', /port after ":" is missing/],
      ['[::1]x', /expected ":PORT" after "]"/],
      ['[::1', /without closing/],
      ['[127.0.0.1]:80', /brackets are for IPv6/],
      ['fd00::/8:443', /goes in brackets: \[fd00::\/8\]:443/],
      ['::1:70000', /goes in brackets: \[::1\]:70000/],
    ];
    for (const [entry, message] of cases) {
      assert.match(hostPatternProblem(entry) ?? '(accepted)', message, entry);
    }
    for (const ok of [
      '127.0.0.1:8080',
      '127.0.0.1:8000-8999',
      'localhost:8080',
      '*.shop.internal:443',
      '[::1]:8080',
      '10.0.0.0/8:80',
      '[fd00::/8]:443',
      '127.0.0.1:1-65535',
    ]) {
      assert.equal(hostPatternProblem(ok), undefined, ok);
    }
  });
});

describe('LOOPBACK_HOSTS / isLoopback', () => {
  it('is this machine by address or by the name localhost, never a look-alike', () => {
    assert.deepEqual([...LOOPBACK_HOSTS], ['127.0.0.0/8', '::1', 'localhost']);
    const yes = [
      'http://127.0.0.1:7700/',
      'http://127.1.2.3/',
      'http://[::1]:8080/',
      'http://[::ffff:127.0.0.1]/',
      'http://localhost./',
      'http://LOCALHOST:3000/',
      'http://2130706433/',
    ];
    const no = [
      'http://a.localhost/',
      'http://localhost.example.com/',
      'http://0.0.0.0/',
      'http://[::]/',
      'http://128.0.0.1/',
      'http://[::2]/',
      'http://[::ffff:10.0.0.1]/',
      'http://127.0.0.1.nip.io/',
    ];
    for (const url of yes) assert.equal(isLoopback(url), true, url);
    for (const url of no) assert.equal(isLoopback(url), false, url);
  });
});

describe('parseIp / hostOf', () => {
  it('parses both families and unwraps IPv4-mapped addresses', () => {
    assert.deepEqual([...parseIp('10.0.0.255')!], [10, 0, 0, 255]);
    assert.deepEqual([...parseIp('::ffff:10.0.0.1')!], [10, 0, 0, 1]);
    assert.equal(parseIp('2001:db8::1')!.length, 16);
    assert.deepEqual([...parseIp('2001:db8::1')!.slice(0, 4)], [0x20, 0x01, 0x0d, 0xb8]);
    assert.deepEqual([...parseIp('::1.2.3.4')!.slice(12)], [1, 2, 3, 4]);
    for (const bad of [
      '1.2.3',
      '1.2.3.256',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      'fe80::1%eth0',
      '12345::',
    ]) {
      assert.equal(parseIp(bad), undefined, bad);
    }
  });

  it('takes the host from a URL the way a client would connect', () => {
    assert.equal(hostOf('http://[::1]:80/'), '::1');
    assert.equal(hostOf('https://User@Shop.Internal.:8443/a'), 'shop.internal');
    assert.equal(hostOf('nope'), undefined);
  });
});
