// The whole mall in this process (payment as its zero-code child process): PGlite in
// memory, the real Redis (a unique key prefix and queue per run, deleted afterwards).
// Browses, buys (as production and as signed shadow traffic), watches the queue consumers
// take stock, reads /metrics, and checks that close() lets the process exit.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import { shadowHeaders, signShadowTag } from '@loadline/shadow';
import { checkRedis, connectRedis, DEFAULT_REDIS_URL, deleteKeys } from './redis.js';
import { type DemoMall, type RequestEvent, type ServiceName, startDemoMall } from './server.js';

const redisUrl = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
const prefix = `demo-test-${randomUUID().slice(0, 8)}:`;
const CATALOG_COST_MS = 25;
const SECRET = 'mall-test-secret-0123456789';
const signFor = (target: string) =>
  signShadowTag({
    runId: 'run-42',
    expiresAt: Math.floor(Date.now() / 1000) + 600,
    secret: SECRET,
    target,
  });
/** A run aimed at the gateway: signed once the mall listens. */
let tag = '';
let shadow: Record<string, string> = {};
/** What the old, unsigned contract sent: now untrusted, so production traffic. */
const forged = { 'x-loadline-shadow': 'run-42', baggage: 'loadline-shadow=run-42' };

let mall: DemoMall;
let redisDown: string | undefined;
let baseline: string[] = [];
const seen: RequestEvent[] = [];

async function call(method: string, path: string, json?: unknown, headers = {}) {
  const res = await fetch(`${mall.url}${path}`, {
    method,
    headers: { ...headers, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** Sum of one metric's samples over every instance of a service (optionally filtered). */
async function scrape(service: ServiceName, metric: string, ...match: string[]) {
  let total = 0;
  for (const url of mall.services[service]) {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const line of text.split('\n')) {
      if (line.startsWith(`${metric}{`) || line.startsWith(`${metric} `)) {
        if (match.every((m) => line.includes(m)))
          total += Number(line.slice(line.lastIndexOf(' ') + 1));
      }
    }
  }
  return total;
}

function needsRedis(t: TestContext): boolean {
  if (redisDown) t.skip(redisDown);
  return redisDown !== undefined;
}

async function eventually(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition()) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

const stockOf = async (id: number) => (await call('GET', `/api/inventory/${id}`)).body;

describe('demo mall', { timeout: 60_000 }, () => {
  before(async () => {
    baseline = process.getActiveResourcesInfo();
    redisDown = await checkRedis(redisUrl, 1000).then(
      () => undefined,
      (error: Error) => error.message,
    );
    if (redisDown) console.log(`# skipping cart and order tests: ${redisDown}`);
    mall = await startDemoMall({
      port: 0,
      redisUrl: redisDown ? null : redisUrl,
      redisPrefix: prefix,
      queueName: `orders-${randomUUID().slice(0, 8)}`,
      instances: { catalog: 2, inventory: 2 },
      costMs: { catalog: CATALOG_COST_MS },
      paymentFailureRate: 0.5,
      shadow: { secret: SECRET },
      onRequest: (event) => seen.push(event),
    });
    tag = signFor(mall.url);
    shadow = shadowHeaders(tag);
  });

  after(async () => {
    await mall?.close();
    if (!redisDown) {
      const redis = connectRedis(redisUrl);
      await deleteKeys(redis, prefix);
      await deleteKeys(redis, `shadow:${prefix}`);
      assert.deepEqual(await redis.keys(`${prefix}*`), []);
      await redis.quit();
    }
    // close() left nothing behind that would keep this process alive.
    await new Promise((r) => setTimeout(r, 50));
    const left = [...baseline];
    const extra = process.getActiveResourcesInfo().filter((kind) => {
      const i = left.indexOf(kind);
      if (i >= 0) left.splice(i, 1);
      return i < 0;
    });
    assert.deepEqual(extra, [], 'handles that were not there before the mall started');
  });

  it('browses through the gateway, round-robin over the catalog instances', async () => {
    assert.equal(mall.services.catalog.length, 2);
    const page = await call('GET', '/api/products?page=2');
    assert.equal(page.status, 200);
    assert.equal(page.body.items.length, 20);
    assert.equal(page.body.items[0].id, 21);
    const detail = await call('GET', '/api/products/21');
    assert.deepEqual(detail.body, page.body.items[0]);
    assert.equal((await call('GET', '/api/products/99999')).status, 404);
    assert.equal((await call('GET', '/api/nothing')).status, 404);
    const instances = new Set(seen.filter((e) => e.service === 'catalog').map((e) => e.instance));
    assert.deepEqual([...instances].sort(), [0, 1]);
  });

  it('passes a signed shadow tag and baggage on to the service behind the gateway', async () => {
    await call('GET', '/api/products/5', undefined, shadow);
    const event = seen.findLast((e) => e.service === 'catalog' && e.path === '/api/products/5');
    assert.equal(event?.headers['x-loadline-shadow'], tag);
    assert.equal(event?.headers.baggage, `loadline-shadow=${tag}`);
    assert.equal(mall.shadow.counters().gateway?.accepted, 1);
  });

  it('strips an unsigned tag at the gateway: production traffic, counted', async () => {
    const before = mall.shadow.counters().gateway?.untrusted.malformed ?? 0;
    await call('GET', '/api/products/6', undefined, {
      ...forged,
      baggage: 'a=1,loadline-shadow=x',
    });
    const event = seen.findLast((e) => e.service === 'catalog' && e.path === '/api/products/6');
    assert.equal(event?.headers['x-loadline-shadow'], undefined);
    assert.equal(event?.headers.baggage, 'a=1', 'other baggage members are kept');
    assert.equal(mall.shadow.counters().gateway?.untrusted.malformed, before + 1);
    const route = 'route="/api/products/:id",status="200"';
    assert.equal(await scrape('catalog', 'http_requests_total', route, 'traffic="shadow"'), 1);
  });

  it('strips a tag signed for another target at the gateway, even a mall address', async () => {
    const before = mall.shadow.counters().gateway?.untrusted['wrong-target'] ?? 0;
    for (const target of [mall.services.catalog[0]!, 'http://127.0.0.1:1']) {
      await call('GET', '/api/products/9', undefined, shadowHeaders(signFor(target)));
      const event = seen.findLast((e) => e.service === 'catalog' && e.path === '/api/products/9');
      assert.equal(event?.headers['x-loadline-shadow'], undefined, target);
    }
    assert.equal(mall.shadow.counters().gateway?.untrusted['wrong-target'], before + 2);
    const route = 'route="/api/products/:id",status="200"';
    assert.equal(await scrape('catalog', 'http_requests_total', route, 'traffic="shadow"'), 1);
  });

  it('counts requests in /metrics and slows the costly service measurably', async () => {
    const route = 'route="/api/products/:id",status="200"';
    const before = await scrape('catalog', 'http_requests_total', route);
    const busyBefore = await scrape('catalog', 'demo_cost_cpu_seconds_total');
    for (let i = 0; i < 4; i++) {
      const started = performance.now();
      assert.equal((await call('GET', `/api/products/${i + 1}`)).status, 200);
      const ms = performance.now() - started;
      assert.ok(ms >= CATALOG_COST_MS * 0.8, `a catalog call took ${ms} ms`);
    }
    assert.equal(await scrape('catalog', 'http_requests_total', route), before + 4);
    assert.equal(await scrape('catalog', 'http_request_duration_seconds_count', route), before + 4);
    const slow = await scrape(
      'catalog',
      'http_request_duration_seconds_bucket',
      route,
      'le="0.01"',
    );
    assert.equal(slow, 0, 'no costly catalog request finished within 10 ms');
    const busy = (await scrape('catalog', 'demo_cost_cpu_seconds_total')) - busyBefore;
    assert.ok(busy >= (4 * CATALOG_COST_MS * 0.8) / 1000, `cost CPU ${busy} s`);
    assert.ok((await scrape('catalog', 'process_cpu_user_seconds_total')) > 0);
  });

  it('adds to the cart, places an order, and the queue consumer takes the stock', async (t) => {
    if (needsRedis(t)) return;
    const { stock } = await stockOf(7);
    assert.equal(
      (await call('POST', '/api/cart', { userId: 'u1', productId: '7', qty: 2 })).status,
      200,
    );
    const cart = await call('POST', '/api/cart', { userId: 'u1', productId: 9, qty: 1 });
    assert.deepEqual(
      cart.body.items.map((i: { productId: number; qty: number }) => [i.productId, i.qty]),
      [
        [7, 2],
        [9, 1],
      ],
    );
    const from = seen.length;
    const charges = () => scrape('payment', 'http_requests_total', 'status="201"');
    const charged = await charges();
    const placed = await call('POST', '/api/orders', { userId: 'u1' }, forged);
    const downstream = seen.slice(from);
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    assert.equal(placed.headers.get('location'), `/api/orders/${placed.body.id}`);
    assert.equal(placed.body.totalCents, cart.body.totalCents);
    const read = await call('GET', `/api/orders/${placed.body.id}`);
    assert.deepEqual(read.body, placed.body);
    assert.deepEqual(
      downstream.map((e) => `${e.service} ${e.method} ${e.path}`),
      [
        'gateway POST /api/orders',
        'order POST /api/orders',
        'cart GET /api/cart/u1',
        'inventory POST /internal/reservations',
        'cart DELETE /api/cart/u1',
      ],
    );
    // payment is its own process: seen through its metrics, as production traffic
    assert.equal(await charges(), charged + 1);
    for (const event of downstream) {
      assert.equal(event.headers['x-loadline-shadow'], undefined, event.service);
    }
    assert.deepEqual((await call('GET', '/api/cart/u1')).body.items, []);
    const completed = () =>
      scrape('inventory', 'queue_jobs_total', 'outcome="completed"', 'traffic="production"');
    await eventually(async () => (await completed()) === 1 && (await stockOf(7)).stock !== stock);
    assert.deepEqual(await stockOf(7), {
      productId: 7,
      stock: stock - 2,
      reserved: 0,
      available: stock - 2,
    });
    assert.equal(await completed(), 1);
  });

  it('buys as shadow traffic: shadow cart, order, stock and queue; production untouched', async (t) => {
    if (needsRedis(t)) return;
    const production = await stockOf(13);
    const shadowStock = async () =>
      (await call('GET', '/api/inventory/13', undefined, shadow)).body;
    const before = await shadowStock();
    assert.deepEqual(before, production, 'shadow stock starts as a copy');
    const added = await call('POST', '/api/cart', { userId: 's1', productId: 13, qty: 2 }, shadow);
    assert.equal(added.status, 200);
    assert.deepEqual((await call('GET', '/api/cart/s1')).body.items, [], 'no production cart');
    const charges = () =>
      scrape('payment', 'http_requests_total', 'status="201"', 'traffic="shadow"');
    // failure rate 0.5: this second charge is declined; shadow stock is given back
    const declined = await call('POST', '/api/orders', { userId: 's1' }, shadow);
    assert.equal(declined.status, 402);
    assert.deepEqual(await shadowStock(), before);
    const from = seen.length;
    const placed = await call('POST', '/api/orders', { userId: 's1' }, shadow);
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    for (const event of seen.slice(from)) {
      assert.equal(event.headers['x-loadline-shadow'], tag, `${event.service} ${event.path}`);
    }
    assert.equal(await charges(), 1, 'the zero-code payment process saw shadow traffic');
    const path = `/api/orders/${placed.body.id}`;
    assert.deepEqual((await call('GET', path, undefined, shadow)).body, placed.body);
    assert.equal((await call('GET', path)).status, 404, 'not a production order');
    const completed = () =>
      scrape('inventory', 'queue_jobs_total', 'outcome="completed"', 'traffic="shadow"');
    await eventually(async () => (await completed()) === 1);
    assert.equal(await completed(), 1);
    assert.deepEqual(await shadowStock(), {
      ...before,
      stock: before.stock - 2,
      available: before.available - 2,
    });
    assert.deepEqual(await stockOf(13), production);
    const redis = connectRedis(redisUrl);
    try {
      assert.deepEqual(
        await redis.keys(`${prefix}*`).then((k) => k.filter((x) => x.includes('s1'))),
        [],
      );
      assert.equal(await redis.exists(`shadow:${prefix}payments:cents`), 1);
      assert.ok(Number(await redis.get(`${prefix}payments:cents`)) > 0, 'production ledger exists');
    } finally {
      redis.disconnect();
    }
  });

  it('gives the stock back and keeps the cart when payment declines', async (t) => {
    if (needsRedis(t)) return;
    const before = await stockOf(11);
    await call('POST', '/api/cart', { userId: 'u2', productId: 11, qty: 3 });
    // failure rate 0.5: every second charge of the payment instance is declined
    const declined = await call('POST', '/api/orders', { userId: 'u2' });
    assert.equal(declined.status, 402);
    assert.deepEqual(await stockOf(11), before);
    assert.equal((await call('GET', '/api/cart/u2')).body.items.length, 1);
    assert.equal((await call('POST', '/api/orders', { userId: 'u2' })).status, 201);
  });

  it('answers bad input with problem+json', async (t) => {
    if (needsRedis(t)) return;
    const empty = await call('POST', '/api/orders', { userId: 'nobody' });
    assert.equal(empty.status, 409);
    assert.match(empty.body.title, /empty/);
    const unknown = await call('POST', '/api/cart', { userId: 'u3', productId: 5000 });
    assert.equal(unknown.status, 404);
    const bad = await call('POST', '/api/cart', { userId: 'u 3', productId: 'x' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.detail.length, 2);
    assert.equal((await call('GET', '/api/orders/999999')).status, 404);
  });
});
