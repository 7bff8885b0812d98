// Which control is active, over a real (in-memory PGlite) metadata store, and a standby's
// forwarding over real HTTP.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MetadataStore } from '@loadline/metadata';
import { forwardedToLeader, forwardToLeader, Leadership } from './leadership.js';

const serve = async (listener: http.RequestListener) => {
  const server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
};

describe('leadership', () => {
  let metadata: MetadataStore;
  before(async () => {
    metadata = await MetadataStore.open();
    await metadata.migrate();
  });
  after(() => metadata.close());

  it('one control is active; a standby takes over when it lets go, and hands back nothing', async () => {
    const events: string[] = [];
    const duties = (name: string) => ({
      start: async () => {
        events.push(`${name} starts`);
      },
      stop: async () => {
        events.push(`${name} stops`);
      },
    });
    const options = (holder: string) => ({
      holder,
      url: `http://${holder}.test:7700`,
      force: false,
      log: () => {},
    });
    const first = new Leadership(metadata, options('first'), duties('first'));
    const second = new Leadership(metadata, options('second'), duties('second'));
    await first.start();
    await second.start();
    try {
      assert.equal(first.active, true);
      assert.equal(second.active, false);
      assert.equal(second.leaderUrl, 'http://first.test:7700');
      await first.close();
      // The standby's next check (every 2 s) finds the lease given up and takes it.
      const deadline = Date.now() + 5000;
      while (!second.active && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.equal(second.active, true);
      assert.equal(second.leaderUrl, 'http://second.test:7700');
      assert.deepEqual(events, ['first starts', 'first stops', 'second starts']);
      assert.equal((await metadata.getLeader())?.holder, 'second');
    } finally {
      await first.close();
      await second.close();
    }
  });
});

describe('a standby forwarding to the active control', () => {
  it('forwards writes and live views; answers reads itself', () => {
    const request = (method: string, url: string) => ({ method, url }) as http.IncomingMessage;
    assert.equal(forwardedToLeader(request('POST', '/runs')), true);
    assert.equal(forwardedToLeader(request('DELETE', '/tokens/t1')), true);
    assert.equal(forwardedToLeader(request('GET', '/runs/r1/events')), true);
    assert.equal(forwardedToLeader(request('GET', '/runs/r1/events?windowS=60')), true);
    assert.equal(forwardedToLeader(request('GET', '/runs/r1')), false);
    assert.equal(forwardedToLeader(request('GET', '/runs')), false);
  });

  it('hands the request over as it came, with the caller in X-Forwarded-For', async () => {
    const leader = await serve((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json', 'x-seen': 'leader' });
        res.end(
          JSON.stringify({
            method: req.method,
            url: req.url,
            body,
            auth: req.headers.authorization,
            forwardedFor: req.headers['x-forwarded-for'],
          }),
        );
      });
    });
    const standby = await serve((req, res) => forwardToLeader(req, res, leader.url));
    try {
      const answer = await fetch(`${standby.url}/runs?x=1`, {
        method: 'POST',
        headers: { authorization: 'Bearer llt_test', 'content-type': 'application/json' },
        body: '{"scenario":"s"}',
      });
      assert.equal(answer.status, 201);
      assert.equal(answer.headers.get('x-seen'), 'leader');
      assert.deepEqual(await answer.json(), {
        method: 'POST',
        url: '/runs?x=1',
        body: '{"scenario":"s"}',
        auth: 'Bearer llt_test',
        forwardedFor: '127.0.0.1',
      });
    } finally {
      standby.close();
      leader.close();
    }
  });

  it('answers 503 (Retry-After) with no active control, and never forwards in a loop', async () => {
    const none = await serve((req, res) => forwardToLeader(req, res, undefined));
    // A standby that believes itself reachable at the active control's address: the request
    // comes back to it once and is answered, not sent round again.
    let hops = 0;
    const looping = await serve((req, res) => {
      hops++;
      forwardToLeader(req, res, looping.url);
    });
    try {
      const away = await fetch(`${none.url}/runs`, { method: 'POST', body: '{}' });
      assert.equal(away.status, 503);
      assert.equal(away.headers.get('retry-after'), '2');
      assert.equal(away.headers.get('content-type'), 'application/problem+json');
      assert.match(
        ((await away.json()) as { detail: string }).detail,
        /standby and no active control answers/,
      );
      const loop = await fetch(`${looping.url}/runs`, { method: 'POST', body: '{}' });
      assert.equal(loop.status, 503);
      assert.match(
        ((await loop.json()) as { detail: string }).detail,
        /standby too; check LOADLINE_ADVERTISE_URL/,
      );
      assert.equal(hops, 2);
    } finally {
      none.close();
      looping.close();
    }
  });
});
