// Real servers on 127.0.0.1:0 for node:http, Express 5 and Fastify 5: a POST with a JSON
// body goes through the framework's body parser and an async handler that awaits a timer,
// then reports which run (if any) it sees and which tag headers survived.
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import Fastify from 'fastify';
import { currentShadow } from '../context.js';
import { createShadow, type UntrustedEvent } from '../shadow.js';
import { shadowHeaders, signShadowTag } from '../tag.js';
import { shadowExpress } from './express.js';
import { shadowFastify } from './fastify.js';
import { shadowListener } from './http.js';

const secret = 'middleware-test-secret';
const untrusted: UntrustedEvent[] = [];
const shadow = createShadow({ secret, onUntrusted: (e) => untrusted.push(e), log: () => {} });
const expiresAt = Math.floor(Date.now() / 1000) + 300;
/** Each server's own tag: a run aimed at it (signed once it listens). */
const goodFor: Record<string, string> = {};
const tagFor = (url: string, key = secret) =>
  signShadowTag({ runId: 'run-mw', expiresAt, secret: key, target: url });

interface Seen {
  runId: string | null;
  body: unknown;
  header: string | null;
  baggage: string | null;
}

async function seen(headers: Record<string, string>): Promise<Seen> {
  await sleep(5); // the handler's context must survive a real async hop
  return {
    runId: currentShadow()?.runId ?? null,
    body: null,
    header: headers['x-loadline-shadow'] ?? null,
    baggage: headers.baggage ?? null,
  };
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }),
  );
}

const servers: Array<() => Promise<unknown>> = [];
const urls: Record<string, string> = {};

before(async () => {
  const plain = createServer(
    shadowListener(shadow, (req, res) => {
      let raw = '';
      // Pure callback-style reading, like hand-rolled parsers: the hard case for context,
      // because 'end' is emitted from the socket, not from anything we started.
      req.on('data', (c: Buffer) => {
        raw += c;
      });
      req.on('end', () => {
        const runIdAtEnd = currentShadow()?.runId ?? null;
        seen(req.headers as Record<string, string>).then((out) =>
          res.end(JSON.stringify({ ...out, runId: runIdAtEnd, body: JSON.parse(raw) })),
        );
      });
    }),
  );
  urls.http = await listen(plain);
  servers.push(() => new Promise((r) => plain.close(r)));

  const app = express();
  app.use(shadowExpress(shadow));
  app.use(express.json());
  app.post('/', async (req, res) => {
    const out = await seen(req.headers as Record<string, string>);
    res.json({ ...out, body: req.body });
  });
  const expressServer = createServer(app);
  urls.express = await listen(expressServer);
  servers.push(() => new Promise((r) => expressServer.close(r)));

  const fastify = Fastify();
  await fastify.register(shadowFastify, { shadow });
  fastify.post('/', async (request) => {
    const out = await seen(request.headers as Record<string, string>);
    return { ...out, body: request.body };
  });
  urls.fastify = await fastify.listen({ port: 0, host: '127.0.0.1' });
  servers.push(() => fastify.close());
  for (const [kind, url] of Object.entries(urls)) goodFor[kind] = tagFor(url);
});

after(async () => {
  await Promise.all(servers.map((close) => close()));
});

async function post(url: string, headers: Record<string, string>): Promise<Seen> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ sku: 'A-1' }),
  });
  assert.equal(res.status, 200);
  return (await res.json()) as Seen;
}

/** Body sent in two packets 30 ms apart: the second arrives from the socket, outside any context. */
function slowPost(url: string, headers: Record<string, string>): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', ...headers },
    });
    req.on('response', async (res) => {
      let raw = '';
      for await (const c of res) raw += c;
      resolve(JSON.parse(raw) as Seen);
    });
    req.on('error', reject);
    req.flushHeaders();
    req.write('{"sku":');
    setTimeout(() => req.end('"A-1"}'), 30);
  });
}

const KINDS = ['http', 'express', 'fastify'] as const;

for (const [i, kind] of KINDS.entries()) {
  describe(`${kind} middleware`, () => {
    it('keeps a verified tag in context through body parsing and an async handler', async () => {
      const good = goodFor[kind]!;
      const out = await post(urls[kind]!, shadowHeaders(good));
      assert.deepEqual(out, {
        runId: 'run-mw',
        body: { sku: 'A-1' },
        header: good,
        baggage: `loadline-shadow=${good}`,
      });
    });

    it('keeps the context when the body arrives in a later packet', async () => {
      const out = await slowPost(urls[kind]!, shadowHeaders(goodFor[kind]!));
      assert.equal(out.runId, 'run-mw');
      assert.deepEqual(out.body, { sku: 'A-1' });
    });

    it('accepts the tag from baggage alone', async () => {
      const out = await post(urls[kind]!, { baggage: `user=1,loadline-shadow=${goodFor[kind]}` });
      assert.equal(out.runId, 'run-mw');
    });

    it('treats a forged or bare tag as production and strips it', async () => {
      const forged = tagFor(urls[kind]!, 'not-the-right-secret');
      const before = untrusted.length;
      const forgedOut = await post(urls[kind]!, {
        'x-loadline-shadow': forged,
        baggage: `user=1,loadline-shadow=${forged}`,
      });
      assert.deepEqual(forgedOut, {
        runId: null,
        body: { sku: 'A-1' },
        header: null,
        baggage: 'user=1',
      });
      const bare = await post(urls[kind]!, { 'x-loadline-shadow': 'run-mw' });
      assert.equal(bare.runId, null);
      assert.equal(bare.header, null);
      assert.deepEqual(
        untrusted.slice(before).map((e) => e.reason),
        ['bad-signature', 'malformed'],
      );
    });

    it("treats another server's valid tag as production: wrong target, stripped", async () => {
      const other = goodFor[KINDS[(i + 1) % KINDS.length]!]!;
      const before = untrusted.length;
      const out = await post(urls[kind]!, shadowHeaders(other));
      assert.deepEqual(out, { runId: null, body: { sku: 'A-1' }, header: null, baggage: null });
      assert.deepEqual(
        untrusted.slice(before).map((e) => e.reason),
        ['wrong-target'],
      );
    });

    it('leaves untagged requests alone', async () => {
      const out = await post(urls[kind]!, { baggage: 'user=1' });
      assert.deepEqual(out, { runId: null, body: { sku: 'A-1' }, header: null, baggage: 'user=1' });
    });
  });
}

describe('concurrency', () => {
  it('does not bleed context between interleaved tagged and untagged requests', async () => {
    const runs = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        post(urls.fastify!, i % 2 === 0 ? shadowHeaders(goodFor.fastify!) : {}).then(
          (o) => o.runId,
        ),
      ),
    );
    assert.deepEqual(
      runs,
      runs.map((_, i) => (i % 2 === 0 ? 'run-mw' : null)),
    );
    assert.equal(shadow.counters.untrusted['bad-signature'], 3);
    assert.equal(shadow.counters.untrusted['wrong-target'], 3);
  });
});
