// Outgoing calls from a tagged context: internal hosts receive the tag (merged into any
// existing baggage), other hosts get it stripped — even when the app forwarded it by
// hand — and the call is counted and reported as egress.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Agent, request as undiciRequest } from 'undici';
import { runInShadow } from '../context.js';
import type { LeakReport } from '../leaks.js';
import { createShadow, type EgressEvent } from '../shadow.js';
import { signShadowTag } from '../tag.js';
import { shadowFetch, shadowInterceptor } from './fetch.js';
import { shadowGet, shadowRequest } from './node-http.js';

const secret = 'propagation-secret-01';
const tag = signShadowTag({
  target: 'http://127.0.0.1:1', // outgoing calls forward the tag as it is
  runId: 'run-prop',
  expiresAt: Math.floor(Date.now() / 1000) + 300,
  secret,
});
const ctx = { runId: 'run-prop', tag };

type Echo = { shadow: string | null; baggage: string | null };
let internal: http.Server;
let external: http.Server;
let internalUrl = '';
let externalUrl = '';

function echoServer(): http.Server {
  return http.createServer((req, res) => {
    res.end(
      JSON.stringify({
        shadow: req.headers['x-loadline-shadow'] ?? null,
        baggage: req.headers.baggage ?? null,
      }),
    );
  });
}

async function start(server: http.Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const egress: EgressEvent[] = [];
const reported: LeakReport[] = [];
let shadow: ReturnType<typeof createShadow>;

before(async () => {
  internal = echoServer();
  external = echoServer();
  internalUrl = await start(internal);
  externalUrl = await start(external);
  shadow = createShadow({
    secret,
    internalHosts: [new URL(internalUrl).host], // host:port, so the other port is "outside"
    onEgress: (e) => egress.push(e),
    leakReporter: { report: async (_runId, leak) => void reported.push(leak) },
    log: () => {},
  });
});

after(async () => {
  await Promise.all([internal, external].map((s) => new Promise((r) => s.close(r))));
});

const forwarded = { 'x-loadline-shadow': tag, baggage: `user=7,loadline-shadow=${tag}` };

function nodeGet(url: string, headers: Record<string, string> = {}): Promise<Echo> {
  const get = shadowGet(shadowRequest(shadow, http.request));
  return new Promise((resolve, reject) => {
    get(url, { headers }, async (res) => {
      let raw = '';
      for await (const c of res) raw += c;
      resolve(JSON.parse(raw) as Echo);
    }).on('error', reject);
  });
}

const clients: Record<string, (url: string, headers?: Record<string, string>) => Promise<Echo>> = {
  fetch: async (url, headers) => {
    const res = await shadowFetch(shadow)(url, { headers });
    return (await res.json()) as Echo;
  },
  'fetch(Request)': async (url, headers) => {
    const res = await shadowFetch(shadow)(new Request(url, { headers }));
    return (await res.json()) as Echo;
  },
  undici: async (url, headers) => {
    const dispatcher = new Agent().compose(shadowInterceptor(shadow));
    const res = await undiciRequest(url, { headers, dispatcher });
    const body = (await res.body.json()) as Echo;
    await dispatcher.close();
    return body;
  },
  'http.get': nodeGet,
};

for (const [name, call] of Object.entries(clients)) {
  describe(`${name} propagation`, () => {
    it('tags calls to internal hosts, merging baggage', async () => {
      const out = await runInShadow(ctx, () => call(internalUrl, { baggage: 'user=7' }));
      assert.deepEqual(out, { shadow: tag, baggage: `user=7,loadline-shadow=${tag}` });
    });

    it('strips the tag on egress and reports it', async () => {
      const before = egress.length;
      const out = await runInShadow(ctx, () => call(externalUrl, forwarded));
      assert.deepEqual(out, { shadow: null, baggage: 'user=7' });
      assert.equal(egress.length, before + 1);
      assert.equal(egress.at(-1)!.host, new URL(externalUrl).host);
    });

    it('does nothing outside a tagged context', async () => {
      const before = egress.length;
      assert.deepEqual(await call(internalUrl), { shadow: null, baggage: null });
      assert.equal(egress.length, before);
    });
  });
}

describe('egress reporting', () => {
  it('counts every egress and reports it as an egress leak', async () => {
    await shadow.flush();
    assert.equal(shadow.counters.egress, Object.keys(clients).length);
    assert.equal(reported.length, Object.keys(clients).length);
    assert.equal(reported[0]!.kind, 'egress');
  });
});
