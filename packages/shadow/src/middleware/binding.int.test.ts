// A tag is bound to its run's target. Three real services on 127.0.0.1: A (the run's
// target), B (another service trusting the same key) and C (an internal service A calls).
// A run aimed at A yields a tag that is shadow traffic at A and on A's hop to C, and
// production at B — stripped, counted, and logged without the signature.
import assert from 'node:assert/strict';
import { createServer, type RequestListener, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { currentShadow } from '../context.js';
import { shadowFetch } from '../propagation/fetch.js';
import { createShadow, type Shadow, type UntrustedEvent } from '../shadow.js';
import { shadowHeaders, signShadowTag } from '../tag.js';
import { shadowListener } from './http.js';

const secret = 'binding-test-secret-0123';
const expiresAt = Math.floor(Date.now() / 1000) + 300;
const servers: Server[] = [];
const untrustedAtB: UntrustedEvent[] = [];

interface Seen {
  runId: string | null;
  header: string | null;
  hop?: Seen;
}

let shadowA: Shadow;
let shadowB: Shadow;
let shadowC: Shadow;
let urlA = '';
let urlB = '';
let urlC = '';
let tagForA = '';

function seen(req: Parameters<RequestListener>[0]): Seen {
  const header = req.headers['x-loadline-shadow'];
  return {
    runId: currentShadow()?.runId ?? null,
    header: typeof header === 'string' ? header : null,
  };
}

/** Creates the server first, so that its Shadow can be made once its address is known. */
async function listen(handler: (shadow: () => Shadow) => RequestListener): Promise<{
  url: string;
  bindShadow(s: Shadow): void;
}> {
  let shadow: Shadow | undefined;
  let wrapped: RequestListener | undefined;
  const server = createServer((req, res) => {
    wrapped ??= shadowListener(
      shadow!,
      handler(() => shadow!),
    );
    wrapped(req, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bindShadow: (s) => {
      shadow = s;
    },
  };
}

before(async () => {
  const c = await listen(() => (req, res) => res.end(JSON.stringify(seen(req))));
  urlC = c.url;
  // C is an internal service: its own address is among its internal hosts.
  shadowC = createShadow({ secret, internalHosts: [new URL(urlC).host], log: () => {} });
  c.bindShadow(shadowC);

  const a = await listen((shadow) => async (req, res) => {
    const here = seen(req);
    if (req.url !== '/forward') return res.end(JSON.stringify(here));
    const hop = (await (await shadowFetch(shadow())(urlC)).json()) as Seen;
    res.end(JSON.stringify({ ...here, hop }));
  });
  urlA = a.url;
  // A calls C, so C is one of A's internal hosts; A itself is not (it is the run's target).
  shadowA = createShadow({ secret, internalHosts: [new URL(urlC).host], log: () => {} });
  a.bindShadow(shadowA);

  const b = await listen(() => (req, res) => res.end(JSON.stringify(seen(req))));
  urlB = b.url;
  // Default log (a JSON line on stderr): the test reads what it writes.
  shadowB = createShadow({ secret, onUntrusted: (e) => untrustedAtB.push(e) });
  b.bindShadow(shadowB);

  tagForA = signShadowTag({ runId: 'run-bind', expiresAt, secret, target: urlA });
});

after(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

/** node:http, so that a test can send a Host of its choosing. */
function get(url: string, headers: Record<string, string>): Promise<Seen> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, async (res) => {
      let raw = '';
      for await (const c of res) raw += c;
      assert.equal(res.statusCode, 200, raw);
      resolve(JSON.parse(raw) as Seen);
    })
      .on('error', reject)
      .end();
  });
}

/** Everything written to stderr while `fn` runs. */
async function stderrOf(fn: () => Promise<unknown>): Promise<string> {
  const write = process.stderr.write;
  let text = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = write;
  }
  return text;
}

describe('tags bound to the run target', () => {
  it('are shadow traffic at the target the run was aimed at', async () => {
    assert.deepEqual(await get(urlA, shadowHeaders(tagForA)), {
      runId: 'run-bind',
      header: tagForA,
    });
    assert.equal(shadowA.counters.accepted, 1);
  });

  it('are shadow traffic on an internal hop from the target', async () => {
    const out = await get(`${urlA}/forward`, shadowHeaders(tagForA));
    assert.deepEqual(out.hop, { runId: 'run-bind', header: tagForA });
    assert.equal(shadowC.counters.accepted, 1);
    assert.equal(shadowC.counters.untrusted['wrong-target'], 0);
  });

  it('are production at any other service: stripped, counted, logged without the signature', async () => {
    let out: Seen | undefined;
    const logged = await stderrOf(async () => {
      out = await get(urlB, shadowHeaders(tagForA));
    });
    assert.deepEqual(out, { runId: null, header: null });
    assert.equal(shadowB.counters.untrusted['wrong-target'], 1);
    assert.equal(shadowB.counters.accepted, 0);

    const lines = logged.split('\n').filter((l) => l.length > 0);
    assert.equal(lines.length, 1, logged);
    const event = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.deepEqual(
      { ...event, fingerprint: typeof event.fingerprint },
      {
        level: 'warn',
        event: 'shadow.untrusted-tag',
        reason: 'wrong-target',
        via: 'http',
        runId: 'run-bind',
        fingerprint: 'string',
      },
    );
    const [, , bind, signature] = tagForA.split('.') as [string, string, string, string];
    for (const secretPart of [signature, signature.slice(0, 12), signature.slice(-12)]) {
      assert.ok(!logged.includes(secretPart), 'no signature bytes in the log');
    }
    assert.ok(!logged.includes(`${bind}.${signature.slice(0, 4)}`));
    assert.deepEqual(untrustedAtB.at(-1), {
      reason: 'wrong-target',
      via: 'http',
      runId: 'run-bind',
      fingerprint: event.fingerprint,
    });
  });

  it('B accepts its own runs: the refusal is about the target, not the key', async () => {
    const tagForB = signShadowTag({ runId: 'run-b', expiresAt, secret, target: urlB });
    assert.deepEqual(await get(urlB, shadowHeaders(tagForB)), { runId: 'run-b', header: tagForB });
  });

  it('goes by the Host the request names: A reached under another name refuses it', async () => {
    const port = new URL(urlA).port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${Number(port) + 1}`]) {
      const out = await get(urlA, { ...shadowHeaders(tagForA), host });
      assert.deepEqual(out, { runId: null, header: null }, host);
    }
    assert.equal(shadowA.counters.untrusted['wrong-target'], 2);
  });
});
