// Shadow traffic end to end with real processes and real stores: `loadline up` (control,
// two agents, the demo mall) on a fresh Postgres database (DATABASE_URL: control's state
// and the mall's orders) and the real Redis under the stack's own namespace. A buy-heavy
// shadow run must leave production orders, carts, payments and the order queue exactly as
// they were, and put exactly its successful orders into the shadow tables; a forged tag
// is production traffic; a service that bypasses the SDK is caught, and the run stopped;
// `loadline verify` agrees each time.
import assert from 'node:assert/strict';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type DemoMall, startDemoMall } from '@loadline/demo-mall';
import { shadowHeaders, signShadowTag } from '@loadline/shadow';
import { Redis } from 'ioredis';
import pg from 'pg';
import { cli, root, UpStack } from './support.js';

const PG_ADMIN = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const database = `loadline_shadow_${randomUUID().slice(0, 8)}`;
const databaseUrl = PG_ADMIN.replace(/\/[^/]*$/, `/${database}`);
const MASTER = `shadow-master-${randomUUID()}`;
const dir = mkdtempSync(join(tmpdir(), 'loadline-shadow-'));
const stack = new UpStack(join(dir, 'state'));
const saved = {
  DATABASE_URL: process.env.DATABASE_URL,
  SECRET: process.env.LOADLINE_SHADOW_SECRET,
};

let db: pg.Client;
let redis: Redis;
let prefix = '';
let broken: DemoMall | undefined;
let cleanRunId = '';
let storesFile = '';

/** The `local` environment's key, derived from the master secret as control does. */
const localKey = () =>
  createHmac('sha256', MASTER).update('loadline-shadow-environment:local').digest('base64url');

const sha = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

async function one<T>(sql: string): Promise<T> {
  return (await db.query(sql)).rows[0] as T;
}

async function tableSum(table: string, columns: string, order: string) {
  return one<{ n: number; sum: string | null }>(
    `select count(*)::int as n, md5(string_agg(concat_ws(':', ${columns}), ',' order by ${order})) as sum from ${table}`,
  );
}

async function keysSum(match: string) {
  const keys = (await redis.keys(match)).sort();
  const values = [];
  for (const key of keys) {
    const type = await redis.type(key);
    values.push(type === 'hash' ? await redis.hgetall(key) : await redis.get(key));
  }
  return { n: keys.length, sum: sha(JSON.stringify([keys, values])) };
}

/** Jobs (hashes with data) and the state lists of a BullMQ queue. */
async function queueSum(base: string) {
  const jobs: string[] = [];
  for (const key of (await redis.keys(`${base}:*`)).sort()) {
    if ((await redis.type(key)) !== 'hash') continue;
    const data = await redis.hget(key, 'data');
    if (data !== null) jobs.push(`${key}=${data}`);
  }
  const counts = [
    await redis.llen(`${base}:wait`),
    await redis.llen(`${base}:active`),
    await redis.zcard(`${base}:completed`),
    await redis.zcard(`${base}:failed`),
    await redis.zcard(`${base}:delayed`),
  ];
  return { jobs: jobs.length, counts, sum: sha(jobs.join('\n')) };
}

async function production() {
  return {
    orders: await tableSum('orders', 'id, ref, user_id, status, total_cents, payment_id', 'id'),
    items: await tableSum(
      'order_items',
      'order_id, product_id, qty, price_cents',
      'order_id, product_id',
    ),
    inventory: await tableSum('inventory', 'product_id, stock, reserved', 'product_id'),
    reservations: await tableSum(
      'inventory_reservations',
      'ref, product_id, qty',
      'ref, product_id',
    ),
    carts: await keysSum(`${prefix}cart:*`),
    payments: await keysSum(`${prefix}payment*`),
    queue: await queueSum(`${prefix}bull:orders`),
  };
}

// 10 arrivals a second: on these 2-core machines the demo mall (control, two agents and six
// services beside it) places 20 orders a second only with a p99 over the scenario's 1 s
// (measured at the commit before too); the test is about where the writes go.
function scenarioFile(name: string, target: string, duration: string): string {
  const source = readFileSync(join(root, 'scenarios', 'demo-shadow-buy.yaml'), 'utf8')
    .replace(/^name: .*$/m, `name: ${name}`)
    .replace(/^target: .*$/m, `target: ${target}`)
    .replace(/^load: .*$/m, `load: { rate: 10, duration: ${duration} }`)
    .replace('data/shadow-users.csv', join(root, 'scenarios', 'data', 'shadow-users.csv'));
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, source);
  return file;
}

async function runScenario(file: string) {
  // The feeder file stays in the repository's scenarios/data: that folder is allowed.
  const data = join(root, 'scenarios', 'data');
  const result = await cli([
    'run',
    file,
    '--allow-path',
    data,
    '--api',
    stack.api,
    '--wait',
    '--json',
  ]);
  assert.ok(result.stdout.trim(), result.stderr);
  return { code: result.code, summary: JSON.parse(result.stdout) };
}

/** `loadline verify` as a user runs it: the exit code and what it printed. */
async function verify(runId: string, json = true) {
  const args = ['verify', runId, '--stores', storesFile, '--api', stack.api];
  const result = await cli(json ? [...args, '--json'] : args, {
    env: { ...process.env, MALL_PREFIX: prefix },
  });
  const out = result.code === 2 ? result.stderr : result.stdout;
  return {
    code: result.code,
    out,
    result: json && result.code !== 2 ? JSON.parse(result.stdout) : undefined,
  };
}

async function gateway(url: string, method: string, path: string, body?: unknown, headers = {}) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json().catch(() => undefined)) as Record<string, unknown>,
  };
}

describe('shadow isolation (real Postgres, Redis, control, agents, mall)', {
  timeout: 120_000,
}, () => {
  before(async () => {
    const admin = new pg.Client({ connectionString: PG_ADMIN });
    await admin.connect();
    await admin.query(`create database ${database}`);
    await admin.end();
    process.env.DATABASE_URL = databaseUrl;
    process.env.LOADLINE_SHADOW_SECRET = MASTER;
    await stack.start({ agents: 2 });
    prefix = `${stack.namespace}:demo:`;
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    redis = new Redis(REDIS_URL);
    storesFile = join(dir, 'stores.yaml');
    writeFileSync(
      storesFile,
      readFileSync(join(root, 'scenarios', 'demo-shadow-stores.yaml'), 'utf8')
        .replace('${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}', databaseUrl)
        .replaceAll('"demo:', '"${MALL_PREFIX}'),
    );
  });

  after(async () => {
    await broken?.close();
    await stack.stop();
    await db?.end();
    if (redis) {
      const ns = stack.namespace;
      for (const match of [`${ns}:*`, `shadow:${ns}:*`, `bull:${ns}-*`]) {
        const keys = await redis.keys(match);
        if (keys.length > 0) await redis.del(...keys);
      }
      redis.disconnect();
    }
    const admin = new pg.Client({ connectionString: PG_ADMIN });
    await admin.connect();
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
    process.env.DATABASE_URL = saved.DATABASE_URL;
    process.env.LOADLINE_SHADOW_SECRET = saved.SECRET;
    if (saved.DATABASE_URL === undefined) delete process.env.DATABASE_URL;
    if (saved.SECRET === undefined) delete process.env.LOADLINE_SHADOW_SECRET;
  });

  it('a shadow buy run leaves production untouched; shadow tables hold exactly its orders', async () => {
    // Some production first, so "untouched" is about real rows, keys and jobs.
    for (const user of ['1001', '1002']) {
      assert.equal(
        (await gateway(stack.demo, 'POST', '/api/cart', { userId: user, productId: 3, qty: 1 }))
          .status,
        200,
      );
      assert.equal(
        (await gateway(stack.demo, 'POST', '/api/orders', { userId: user })).status,
        201,
      );
    }
    await gateway(stack.demo, 'POST', '/api/cart', { userId: '1003', productId: 4, qty: 2 });
    const settled = async () => (await queueSum(`${prefix}bull:orders`)).counts[2] === 2;
    for (let i = 0; i < 40 && !(await settled()); i++) await new Promise((r) => setTimeout(r, 100));
    const before = await production();
    assert.equal(before.orders.n, 2, 'Postgres (DATABASE_URL) holds the mall’s orders');
    assert.deepEqual([before.carts.n, before.payments.n - 1, before.queue.jobs], [1, 2, 2]);

    const { code, summary } = await runScenario(scenarioFile('shadow-buy', stack.demo, '10s'));
    assert.equal(code, 0, JSON.stringify(summary));
    cleanRunId = summary.runId;
    const stored = await one<{ n: number }>(
      `select count(*)::int as n from runs where id = '${cleanRunId}' and status = 'passed'`,
    );
    assert.equal(stored.n, 1, 'control keeps its runs in the same DATABASE_URL');
    const placed = summary.steps['place-order'];
    const ok = placed.requests - placed.errors;
    assert.ok(ok >= 80, `${ok} shadow orders placed`);
    assert.equal(placed.errors, 0);

    const shadowJobs = async () => (await queueSum(`shadow:${prefix}bull:orders`)).counts[2];
    for (let i = 0; i < 50 && (await shadowJobs()) < ok; i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      await production(),
      before,
      'production orders, stock, carts, payments and queue',
    );
    const shadow = await one<{ orders: number; users: number; run: number }>(
      `select count(*)::int as orders, count(distinct user_id)::int as users,
              count(*) filter (where user_id::bigint between 900000000 and 999999999)::int as run
       from shadow_orders`,
    );
    assert.deepEqual(
      shadow,
      { orders: ok, users: ok, run: ok },
      'one shadow order per successful place-order',
    );
    assert.equal(await shadowJobs(), ok, 'each shadow order event consumed from the shadow queue');
    assert.equal((await keysSum(`shadow:${prefix}payment:*`)).n, ok, 'payment (zero-code) ledger');
    const taken = await one<{ n: number }>(
      `select count(*)::int as n from shadow_inventory s join inventory p using (product_id)
       where s.stock < p.stock`,
    );
    assert.ok(taken.n > 0, 'shadow stock was taken, production stock was not');
    console.log(
      `# shadow run ${cleanRunId}: ${summary.total.requests} requests, ${ok} orders → shadow_orders ${shadow.orders}; production orders ${before.orders.n} → ${(await production()).orders.n}, carts ${before.carts.n}, queue jobs ${before.queue.jobs}, unchanged`,
    );

    const checked = await verify(cleanRunId, false);
    assert.equal(checked.code, 0, checked.out);
    assert.match(checked.out, /clean: no shadow data found in production/);
  });

  it('a forged tag, or a valid one of a run aimed elsewhere, sent to the gateway is production traffic', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 600;
    const cases = {
      forged: `${cleanRunId}.${expiresAt}.Zm9yZ2Vk`,
      // Signed with the environment key, for a run aimed at another listener (control's).
      elsewhere: signShadowTag({
        runId: cleanRunId,
        expiresAt,
        secret: localKey(),
        target: stack.api,
      }),
    };
    for (const [name, tag] of Object.entries(cases)) {
      const userId = name === 'forged' ? '4242' : '4243';
      const headers = shadowHeaders(tag);
      const shadowBefore = await one<{ n: number }>('select count(*)::int as n from shadow_orders');
      const before = await production();
      await gateway(stack.demo, 'POST', '/api/cart', { userId, productId: 5, qty: 1 }, headers);
      const order = await gateway(stack.demo, 'POST', '/api/orders', { userId }, headers);
      assert.equal(order.status, 201, name);
      const after = await production();
      assert.equal(after.orders.n, before.orders.n + 1, `${name}: a production order`);
      const row = await one<{ user_id: string }>(
        `select user_id from orders where id = ${Number(order.body.id)}`,
      );
      assert.equal(row.user_id, userId);
      assert.deepEqual(
        await one('select count(*)::int as n from shadow_orders'),
        shadowBefore,
        name,
      );
    }
    assert.equal((await verify(cleanRunId)).code, 0, 'production-range data is not a finding');
  });

  it('a service that bypasses the SDK is caught: leak reported, run aborted, verify exits 1', async () => {
    broken = await startDemoMall({
      port: 0,
      databaseUrl,
      redisUrl: REDIS_URL,
      redisPrefix: `${stack.namespace}:broken:`,
      shadow: { secret: localKey(), controlUrl: stack.api },
      brokenShadowAudit: true,
    });
    const auditBefore = await one<{ n: number }>('select count(*)::int as n from order_audit');
    const { code, summary } = await runScenario(scenarioFile('shadow-broken', broken.url, '30s'));
    assert.equal(code, 3, JSON.stringify(summary));
    const run = (await (await fetch(`${stack.api}/runs/${summary.runId}`)).json()) as Record<
      string,
      string
    >;
    assert.equal(run.status, 'aborted');
    assert.match(run.abortReason, /^shadow leak: postgres order_audit from demo-mall/);
    const { leaks } = (await (await fetch(`${stack.api}/runs/${summary.runId}/leaks`)).json()) as {
      leaks: Array<{ kind: string; target: string; at: string }>;
    };
    assert.ok(leaks.length >= 1);
    assert.deepEqual([leaks[0]?.kind, leaks[0]?.target], ['postgres', 'order_audit']);
    const stopMs = Date.parse(run.endedAt as string) - Date.parse(leaks[0]?.at as string);
    console.log(
      `# leak at ${leaks[0]?.at}, run ended ${stopMs} ms later (${summary.total.requests} requests of a 30 s run)`,
    );
    assert.ok(stopMs < 5000, `stopped ${stopMs} ms after the leak`);
    assert.deepEqual(
      await one('select count(*)::int as n from order_audit'),
      auditBefore,
      'the raw write was refused',
    );

    const checked = await verify(summary.runId);
    assert.equal(checked.code, 1, checked.out);
    const control = checked.result.checks.find((c: { kind: string }) => c.kind === 'control');
    assert.equal(control.found, leaks.length);
    assert.match(control.detail[0], /postgres order_audit from demo-mall/);
  });

  it('verify finds a shadow-range row in production and names store, table and count', async () => {
    await db.query(
      `insert into orders (ref, user_id, status, total_cents, payment_id)
       values ('hand-inserted', '900000777', 'placed', 100, 'pay_x')`,
    );
    const checked = await verify(cleanRunId);
    assert.equal(checked.code, 1, checked.out);
    const found = checked.result.checks.filter((c: { found: number }) => c.found > 0);
    assert.deepEqual(
      found.map((c: { store: string; target: string; found: number }) => [
        c.store,
        c.target,
        c.found,
      ]),
      [['demo-mall', 'table orders', 1]],
    );
    const text = await verify(cleanRunId, false);
    assert.match(text.out, /postgres demo-mall\s+table orders\s+LEAK {2}1 of \d+ row\(s\)/);
    assert.match(text.out, /1 row\(s\) with user_id in users \[900000000, 999999999\]/);
  });
});
