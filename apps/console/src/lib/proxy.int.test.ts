// The control proxy against a real HTTP server on 127.0.0.1 standing in for control: what
// goes through, what comes back, and what is refused before control hears of it.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { clientAddress, forward } from './proxy';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let server: http.Server;
let api = '';
const seen: Seen[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url?.startsWith('/auth/oidc/start')) {
        res.writeHead(302, { location: 'https://idp.example/authorize?state=s' }).end();
      } else if (req.url === '/auth/session' && req.method === 'POST') {
        res.setHeader('set-cookie', ['loadline_session=abc; HttpOnly; Path=/', 'other=1; Path=/']);
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"name":"admin"}');
      } else if (req.url === '/auth/token') {
        res
          .writeHead(429, {
            'content-type': 'application/problem+json',
            'retry-after': '30',
            'www-authenticate': 'Bearer realm="loadline"',
          })
          .end('{"type":"about:blank","title":"too many failed sign-ins","status":429}');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

const site = 'http://127.0.0.1:3000';
const send = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  forward(
    new Request(`${site}/api/control/${path}`, {
      ...init,
      headers: { host: '127.0.0.1:3000', ...init.headers },
    }),
    path.split('?')[0]!.split('/'),
    { api, publicHosts: ['loadline.example.com'] },
  );

describe('the control proxy', () => {
  it('forwards the session, the CSRF token, the API token, and where the caller is', async () => {
    seen.length = 0;
    const answer = await send('runs', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: 'loadline_session=abc',
        'x-loadline-csrf': 'csrf-1',
        authorization: 'Bearer llt_x',
        'x-forwarded-for': '203.0.113.9, 198.51.100.7',
        'x-forwarded-proto': 'https',
        origin: site,
        'x-other': 'dropped',
      },
      body: '{"scenario":"s"}',
    });
    assert.equal(answer.status, 200);
    const [request] = seen;
    assert.equal(request?.body, '{"scenario":"s"}');
    assert.equal(request?.headers.cookie, 'loadline_session=abc');
    assert.equal(request?.headers['x-loadline-csrf'], 'csrf-1');
    assert.equal(request?.headers.authorization, 'Bearer llt_x');
    // The hop nearest the console: the one a proxy in front appended, not what the client said.
    assert.equal(request?.headers['x-forwarded-for'], '198.51.100.7');
    assert.equal(request?.headers['x-forwarded-proto'], 'https');
    assert.equal(request?.headers['x-other'], undefined);
  });

  it('passes every Set-Cookie back, each on its own', async () => {
    const answer = await send('auth/session', { method: 'POST', body: '{}' });
    assert.equal(answer.status, 201);
    assert.deepEqual(answer.headers.getSetCookie(), [
      'loadline_session=abc; HttpOnly; Path=/',
      'other=1; Path=/',
    ]);
  });

  it('hands a redirect to the browser instead of following it', async () => {
    const answer = await send('auth/oidc/start?returnTo=%2Fruns');
    assert.equal(answer.status, 302);
    assert.equal(answer.headers.get('location'), 'https://idp.example/authorize?state=s');
    assert.equal(seen.at(-1)?.url, '/auth/oidc/start?returnTo=%2Fruns');
  });

  it('passes Retry-After and WWW-Authenticate back with a problem', async () => {
    const answer = await send('auth/token', { method: 'POST', body: '{}' });
    assert.equal(answer.status, 429);
    assert.equal(answer.headers.get('retry-after'), '30');
    assert.equal(answer.headers.get('www-authenticate'), 'Bearer realm="loadline"');
  });

  it('refuses a Host that is neither loopback nor public (DNS rebinding), before control hears it', async () => {
    seen.length = 0;
    for (const host of ['evil.example', 'evil.example:3000', '127.0.0.1.evil.example', 'a b']) {
      const answer = await send('health', { headers: { host } });
      assert.equal(answer.status, 421, host);
      assert.equal(answer.headers.get('content-type'), 'application/problem+json');
      assert.match((await answer.json()).detail, /LOADLINE_PUBLIC_HOSTS/);
    }
    assert.equal(seen.length, 0);
    for (const host of ['localhost:3000', '[::1]:3000', '127.9.9.9', 'LOADLINE.example.com:443']) {
      assert.equal((await send('health', { headers: { host } })).status, 200, host);
    }
  });

  it('refuses a write from another origin, even the same site on another port', async () => {
    seen.length = 0;
    for (const origin of ['http://127.0.0.1:8000', 'https://evil.example', 'null']) {
      const answer = await send('runs', { method: 'POST', headers: { origin }, body: '{}' });
      assert.equal(answer.status, 403, origin);
      assert.equal((await answer.json()).title, 'cross-origin write refused');
    }
    assert.equal(seen.length, 0);
    // Reads from anywhere, and writes without an Origin (the CLI, curl), go through.
    assert.equal(
      (await send('runs', { headers: { origin: 'http://127.0.0.1:8000' } })).status,
      200,
    );
    assert.equal((await send('runs', { method: 'POST', body: '{}' })).status, 200);
  });

  it('answers 502 naming control when it does not answer', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const dead = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const answer = await forward(
      new Request(`${site}/api/control/runs`, { headers: { host: '127.0.0.1:3000' } }),
      ['runs'],
      { api: dead, publicHosts: [] },
    );
    assert.equal(answer.status, 502);
    const body = await answer.json();
    assert.equal(body.unreachable, true);
    assert.match(body.detail, new RegExp(dead.replace(/\./g, '\\.')));
  });
});

describe('clientAddress', () => {
  it('is the last hop, without the IPv4-mapped prefix, and only an IP address', () => {
    assert.equal(clientAddress('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(clientAddress('10.0.0.1, ::1'), '::1');
    assert.equal(clientAddress('<script>'), undefined);
    assert.equal(clientAddress(null), undefined);
  });
});
