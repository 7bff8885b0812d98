// Zero-code adoption end to end: an unmodified app (fixtures/zero-code-app.mjs) runs in a
// child `node --import tsx --import ./register.ts`, against the real Postgres and Redis.
// Tagged requests must land in shadow storage, untagged ones in production, and a raw
// production write from a tagged request must be refused and reported to control.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import {
  LEAK_SIGNATURE_HEADER,
  type LeakSignatureVerdict,
  verifyLeakReport,
} from './leak-signature.js';
import { createTestSchema, type TestSchema } from './routing/pg-testkit.js';
import { shadowHeaders, signShadowTag } from './tag.js';

const secret = 'register-secret-0123456';
/** A run aimed at the app: signed once the app listens. */
let tag = '';
const ns = `shadowtest-${randomBytes(4).toString('hex')}:`;
let schema: TestSchema;
let app: ChildProcess;
let appUrl = '';
let control: Server;
let redis: Redis;
const leaks: Array<{ url: string; body: Record<string, unknown>; signed: LeakSignatureVerdict }> =
  [];

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  let raw = '';
  for await (const c of req) raw += c;
  return raw;
}

/** What control does with a leak report: check its signature with the environment key. */
async function receiveLeak(req: IncomingMessage): Promise<void> {
  const raw = await readBody(req);
  const signed = verifyLeakReport({
    secret,
    method: req.method ?? '',
    path: new URL(req.url ?? '/', 'http://control').pathname,
    body: raw,
    header: req.headers[LEAK_SIGNATURE_HEADER],
  });
  leaks.push({ url: req.url ?? '', body: JSON.parse(raw) as Record<string, unknown>, signed });
}

before(async () => {
  schema = await createTestSchema();
  redis = new Redis({ host: '127.0.0.1' });
  // Plays both control (leak reports) and an internal downstream service (echoes the tag).
  control = createServer(async (req, res) => {
    if (req.method === 'POST') await receiveLeak(req);
    res.end(JSON.stringify({ tag: req.headers['x-loadline-shadow'] ?? null }));
  });
  const controlUrl = await listen(control);
  app = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      fileURLToPath(new URL('./register.ts', import.meta.url)),
      fileURLToPath(new URL('./fixtures/zero-code-app.mjs', import.meta.url)),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PGHOST: '127.0.0.1',
        PGUSER: 'postgres',
        PGDATABASE: 'test',
        PGOPTIONS: `-c search_path=${schema.name}`,
        FIXTURE_NS: ns,
        FIXTURE_DOWNSTREAM: `${controlUrl}/echo`,
        LOADLINE_SHADOW_SECRET: secret,
        LOADLINE_SHADOW_TABLES: 'orders',
        LOADLINE_SHADOW_INTERNAL_HOSTS: new URL(controlUrl).host,
        LOADLINE_CONTROL_URL: controlUrl,
        LOADLINE_SERVICE_NAME: 'zero-code-mall',
      },
    },
  );
  let stderr = '';
  app.stderr!.on('data', (c) => {
    stderr += c;
  });
  appUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`app did not start:\n${stderr}`)), 20_000);
    app.stdout!.once('data', (c: Buffer) => {
      clearTimeout(timer);
      resolve(`http://127.0.0.1:${c.toString().trim()}`);
    });
    app.once('exit', (code) => reject(new Error(`app exited ${code}:\n${stderr}`)));
  });
  tag = signShadowTag({
    runId: 'run-zero',
    expiresAt: Math.floor(Date.now() / 1000) + 300,
    secret,
    target: appUrl,
  });
});

after(async () => {
  if (app.exitCode === null) {
    const exited = new Promise((r) => app.once('exit', r));
    app.kill('SIGTERM');
    await exited;
  }
  await new Promise((r) => control.close(r));
  const keys = [...(await redis.keys(`${ns}*`)), ...(await redis.keys(`shadow:${ns}*`))];
  if (keys.length) await redis.del(...keys);
  await redis.quit();
  await schema.drop();
});

async function call(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${appUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ sku: 'A-1' }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

let db: ReturnType<TestSchema['pool']> | undefined;
async function schemaQuery(sql: string) {
  db ??= schema.pool(1);
  return (await db.query(sql)).rows;
}
const rows = async (table: string) =>
  (await schemaQuery(`SELECT count(*)::int AS n FROM ${table}`))[0]!.n as number;

describe('zero-code register', () => {
  it('sends untagged traffic to production', async () => {
    const out = await call('/order');
    assert.deepEqual(out, { status: 200, body: { ok: true, downstream: { tag: null } } });
    assert.equal(await rows('orders'), 1);
    assert.equal(await redis.get(`${ns}sold:A-1`), '1');
  });

  it('routes tagged traffic to the shadow table and shadow keys, and propagates the tag', async () => {
    for (let i = 0; i < 3; i++) {
      const out = await call('/order', shadowHeaders(tag));
      assert.deepEqual(out, { status: 200, body: { ok: true, downstream: { tag } } });
    }
    assert.equal(await rows('orders'), 1);
    assert.equal(await rows('shadow_orders'), 3);
    assert.equal(await redis.get(`${ns}sold:A-1`), '1');
    assert.equal(await redis.get(`shadow:${ns}sold:A-1`), '3');
  });

  it('treats a forged tag as production', async () => {
    const forged = signShadowTag({
      runId: 'run-zero',
      expiresAt: 9_999_999_999,
      secret: 'x'.repeat(20),
      target: appUrl,
    });
    const out = await call('/order', shadowHeaders(forged));
    assert.deepEqual(out.body, { ok: true, downstream: { tag: null } });
    assert.equal(await rows('orders'), 2);
  });

  it('treats a valid tag of a run aimed elsewhere as production', async () => {
    const elsewhere = signShadowTag({
      runId: 'run-zero',
      expiresAt: Math.floor(Date.now() / 1000) + 300,
      secret,
      target: 'http://127.0.0.1:1',
    });
    const out = await call('/order', shadowHeaders(elsewhere));
    assert.deepEqual(out.body, { ok: true, downstream: { tag: null } });
    assert.equal(await rows('orders'), 3);
    assert.equal(await rows('shadow_orders'), 3);
  });

  it('refuses a raw production write from a tagged request and reports it to control', async () => {
    const out = await call('/reprice', shadowHeaders(tag));
    assert.deepEqual(out, { status: 500, body: { error: 'ShadowLeakError' } });
    assert.equal(
      (await schemaQuery("SELECT price FROM products WHERE sku = 'A-1'"))[0]!.price,
      100,
    );
    for (let i = 0; i < 50 && leaks.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(leaks.length, 1);
    assert.equal(leaks[0]!.url, '/runs/run-zero/leaks');
    assert.equal(leaks[0]!.signed.ok, true, JSON.stringify(leaks[0]!.signed));
    const { at, detail, ...rest } = leaks[0]!.body;
    assert.deepEqual(rest, { kind: 'postgres', target: 'products', service: 'zero-code-mall' });
    // The verb and the table, never the statement's text (it may carry literal values).
    assert.equal(detail, 'refused: UPDATE on production table products');
    assert.ok(!Number.isNaN(Date.parse(String(at))));
  });
});
