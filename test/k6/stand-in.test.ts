import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { type StandIn, startStandIn } from './stand-in.js';

interface Res {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  reusedSocket: boolean;
  json<T>(): T;
}

interface Call {
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  host?: string;
  agent?: Agent;
}

let standIn: StandIn;
const agent = new Agent({ keepAlive: true });

function call(path: string, opts: Call = {}): Promise<Res> {
  const { method = 'GET', headers = {}, body, host, agent: via = agent } = opts;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: standIn.port,
        path,
        method,
        agent: via,
        headers: { ...(host ? { Host: host } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: buf,
            text: buf.toString('utf8'),
            reusedSocket: req.reusedSocket,
            json: <T>() => JSON.parse(buf.toString('utf8')) as T,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const jsonBody = (value: unknown) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(value),
});

/** The name=value pairs a response's Set-Cookie headers carry, as a Cookie header. */
const cookieHeader = (res: Res) =>
  (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');

before(async () => {
  standIn = await startStandIn();
});
after(async () => {
  agent.destroy();
  await standIn.close();
});

describe('httpbin echo endpoints', () => {
  test('/get reflects args, capitalised headers, origin and url', async () => {
    const res = await call('/get?a=1&a=2&b=x%20y', {
      host: 'httpbin.test.k6.io',
      headers: { 'x-custom-header': 'v', 'X-B3-TraceId': 't' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    const j = res.json<{
      args: unknown;
      headers: Record<string, string>;
      origin: string;
      url: string;
    }>();
    assert.deepEqual(j.args, { a: ['1', '2'], b: 'x y' });
    assert.equal(j.headers['X-Custom-Header'], 'v');
    assert.equal(j.headers['X-B3-Traceid'], 't');
    assert.equal(j.headers.Host, 'httpbin.test.k6.io');
    assert.equal(j.origin, '127.0.0.1');
    assert.equal(j.url, 'http://httpbin.test.k6.io/get?a=1&a=2&b=x%20y');
    assert.deepEqual(Object.keys(j), ['args', 'headers', 'origin', 'url']);
    assert.match(res.text, /\{\}|", \n/, 'Flask pretty print leaves ", " before newlines');
  });

  test('/post reflects form, json, raw data, multipart files and binary bodies', async () => {
    type Echo = { form: unknown; json: unknown; data: string; files: unknown; args: unknown };
    const form = await call('/post', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'name=Bert&topping=onion&topping=bacon',
    });
    assert.deepEqual(form.json<Echo>().form, { name: 'Bert', topping: ['onion', 'bacon'] });
    assert.equal(form.json<Echo>().data, '');
    assert.equal(form.json<Echo>().json, null);

    const json = (await call('/post', jsonBody({ key: 'value', n: 1 }))).json<Echo>();
    assert.deepEqual(json.json, { key: 'value', n: 1 });
    assert.equal(json.data, '{"key":"value","n":1}');
    assert.deepEqual(json.form, {});

    const raw = (await call('/post', { method: 'POST', body: 'Hello world!' })).json<Echo>();
    assert.equal(raw.data, 'Hello world!');
    assert.equal(raw.json, null);

    const boundary = 'XyZ';
    const multipart = [
      `--${boundary}\r\nContent-Disposition: form-data; name="field"\r\n\r\nvalue\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nfile body\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="bin"; filename="b.bin"\r\nContent-Type: application/x-bin\r\n\r\n`,
    ];
    const body = Buffer.concat([
      Buffer.from(multipart.join('')),
      Buffer.from([0xff, 0xfe, 0x00]),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const mp = await call('/post', {
      method: 'POST',
      headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
      body,
    });
    assert.deepEqual(mp.json<Echo>().form, { field: 'value' });
    assert.deepEqual(mp.json<Echo>().files, {
      file: 'file body',
      bin: `data:application/x-bin;base64,${Buffer.from([0xff, 0xfe, 0x00]).toString('base64')}`,
    });

    const binary = await call('/put', { method: 'PUT', body: Buffer.from([0xc3, 0x28]) });
    assert.equal(binary.json<Echo>().data, 'data:application/octet-stream;base64,wyg=');
  });

  test('/anything echoes any method and sub-path; method rules and HEAD hold', async () => {
    const any = await call('/anything/deep/path?x=1', { method: 'PATCH', body: 'p' });
    const j = any.json<{ method: string; url: string; data: string }>();
    assert.equal(j.method, 'PATCH');
    assert.equal(j.data, 'p');
    assert.match(j.url, /\/anything\/deep\/path\?x=1$/);

    const wrong = await call('/get', { method: 'POST', body: 'x' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, 'GET, HEAD, OPTIONS');
    assert.equal((await call('/delete', { method: 'DELETE' })).status, 200);

    const get = await call('/json');
    const head = await call('/json', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.headers['content-length'], String(get.body.length));

    const options = await call('/post', { method: 'OPTIONS' });
    assert.equal(options.status, 200);
    assert.equal(options.headers.allow, 'OPTIONS, POST');
    assert.equal((await call('/no/such/path')).status, 404);
  });

  test('/status codes, their headers, and bad codes', async () => {
    assert.equal((await call('/status/204')).status, 204);
    assert.equal((await call('/status/500', { method: 'POST' })).status, 500);
    const teapot = await call('/status/418');
    assert.equal(teapot.status, 418);
    assert.match(teapot.text, /teapot/);
    const moved = await call('/status/302');
    assert.equal(moved.headers.location, '/redirect/1');
    assert.equal(
      (await call('/status/401')).headers['www-authenticate'],
      'Basic realm="Fake Realm"',
    );
    assert.equal((await call('/status/abc')).status, 400);
    assert.equal((await call('/status/201:1,201:3')).status, 201);
  });

  test('redirect chains, absolute and relative, and redirect-to', async () => {
    const hops: string[] = [];
    let res = await call('/redirect/3');
    while (res.status === 302) {
      hops.push(String(res.headers.location));
      res = await call(String(res.headers.location));
    }
    assert.deepEqual(hops, ['/relative-redirect/2', '/relative-redirect/1', '/get']);
    assert.equal(res.status, 200);

    const abs = await call('/absolute-redirect/2', { host: 'httpbin.org' });
    assert.equal(abs.headers.location, 'http://httpbin.org/absolute-redirect/1');
    const relative = await call('/relative-redirect/1');
    assert.equal(relative.headers.location, '/get');
    assert.equal(relative.body.length, 0);

    const to = await call('/redirect-to?url=https%3A%2F%2Fexample.com%2Fx&status_code=307', {
      method: 'POST',
    });
    assert.equal(to.status, 307);
    assert.equal(to.headers.location, 'https://example.com/x');

    const followed = await fetch(`${standIn.url}/redirect/2`);
    assert.equal(followed.status, 200);
    assert.equal(new URL(followed.url).pathname, '/get');
  });

  test('cookies are set with a 302 to /cookies, echoed, and deleted', async () => {
    const set = await call('/cookies/set?k1=v1&k2=v2');
    assert.equal(set.status, 302);
    assert.equal(set.headers.location, '/cookies');
    assert.deepEqual(set.headers['set-cookie'], ['k1=v1; Path=/', 'k2=v2; Path=/']);
    const jar = await call('/cookies', { headers: { Cookie: `${cookieHeader(set)}; __utma=x` } });
    assert.deepEqual(jar.json(), { cookies: { k1: 'v1', k2: 'v2' } });

    const one = await call('/cookies/set/name/value');
    assert.deepEqual(one.headers['set-cookie'], ['name=value; Path=/']);
    const del = await call('/cookies/delete?k1');
    assert.match(String(del.headers['set-cookie']), /^k1=; Expires=Thu, 01-Jan-1970 .*Max-Age=0/);
  });

  test('/gzip, /deflate and /brotli are really encoded', async () => {
    const gz = await call('/gzip');
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gz.headers['content-length'], String(gz.body.length));
    const j = JSON.parse(gunzipSync(gz.body).toString()) as { gzipped: boolean; method: string };
    assert.equal(j.gzipped, true);
    assert.equal(j.method, 'GET');
    const df = await call('/deflate');
    assert.equal(JSON.parse(inflateSync(df.body).toString()).deflated, true);
    const br = await call('/brotli');
    assert.equal(JSON.parse(brotliDecompressSync(br.body).toString()).brotli, true);
  });

  test('basic, hidden, bearer and digest auth pass and fail', async () => {
    const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
    const ok = await call('/basic-auth/user/passwd', {
      headers: { Authorization: basic('user', 'passwd') },
    });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json(), { authenticated: true, user: 'user' });
    const bad = await call('/basic-auth/user/passwd', {
      headers: { Authorization: basic('user', 'no') },
    });
    assert.equal(bad.status, 401);
    assert.equal(bad.headers['www-authenticate'], 'Basic realm="Fake Realm"');
    assert.equal((await call('/basic-auth/user/passwd')).status, 401);
    assert.equal((await call('/hidden-basic-auth/user/passwd')).status, 404);

    assert.equal((await call('/bearer')).status, 401);
    const bearer = await call('/bearer', { headers: { Authorization: 'Bearer abc' } });
    assert.deepEqual(bearer.json(), { authenticated: true, token: 'abc' });

    const path = '/digest-auth/auth/user/passwd';
    const challenge = await call(path);
    assert.equal(challenge.status, 401);
    const www = String(challenge.headers['www-authenticate']);
    const nonce = /nonce="([^"]+)"/.exec(www)?.[1] ?? '';
    const realm = /realm="([^"]+)"/.exec(www)?.[1] ?? '';
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const digest = (password: string) => {
      const response = md5(
        `${md5(`user:${realm}:${password}`)}:${nonce}:00000001:c0ffee:auth:${md5(`GET:${path}`)}`,
      );
      return `Digest username="user", realm="${realm}", nonce="${nonce}", uri="${path}", qop=auth, nc=00000001, cnonce="c0ffee", response="${response}"`;
    };
    const good = await call(path, { headers: { Authorization: digest('passwd') } });
    assert.equal(good.status, 200);
    assert.deepEqual(good.json(), { authenticated: true, user: 'user' });
    assert.equal((await call(path, { headers: { Authorization: digest('wrong') } })).status, 401);
  });

  test('/delay takes fractional seconds and is capped', async () => {
    const started = performance.now();
    const res = await call('/delay/0.05');
    const took = performance.now() - started;
    assert.equal(res.status, 200);
    assert.ok(took >= 45 && took < 2000, `took ${took} ms`);
    assert.equal((await call('/delay/abc')).status, 500);
  });

  test('bytes, uuid, base64, ip, user-agent, html, xml, json, response-headers', async () => {
    assert.equal((await call('/bytes/16')).body.length, 16);
    assert.equal((await call('/bytes/999999')).body.length, 100 * 1024);
    const seeded = [(await call('/bytes/32?seed=7')).body, (await call('/bytes/32?seed=7')).body];
    assert.ok(seeded[0]?.equals(seeded[1] as Buffer));
    assert.match((await call('/uuid')).json<{ uuid: string }>().uuid, /^[0-9a-f-]{36}$/);
    assert.equal((await call('/base64/SFRUUEJJTiBpcyBhd2Vzb21l')).text, 'HTTPBIN is awesome');
    assert.deepEqual((await call('/ip')).json(), { origin: '127.0.0.1' });
    const ua = await call('/user-agent', { headers: { 'User-Agent': 'k6/0.50' } });
    assert.deepEqual(ua.json(), { 'user-agent': 'k6/0.50' });
    assert.match((await call('/html')).text, /<h1>Herman Melville - Moby-Dick<\/h1>/);
    assert.match((await call('/xml')).text, /<slideshow/);
    const slides = (await call('/json')).json<{ slideshow: { slides: unknown[] } }>();
    assert.equal(slides.slideshow.slides.length, 2);
    assert.match((await call('/forms/post')).text, /<form method="post" action="\/post">/);
    const h = (await call('/headers', { headers: { 'X-Forwarded-For': '1.2.3.4' } })).json<{
      headers: Record<string, string>;
    }>();
    assert.equal(h.headers['X-Forwarded-For'], undefined, 'env headers are hidden');

    const rh = await call('/response-headers?X-Test=1&X-Test=2&freeform=hi');
    assert.deepEqual(rh.headers['x-test'], '1, 2');
    assert.equal(rh.headers.freeform, 'hi');
    const echoed = rh.json<Record<string, unknown>>();
    assert.equal(echoed['Content-Length'], String(rh.body.length));
    assert.deepEqual(echoed['X-Test'], ['1', '2']);
  });
});

describe('test.k6.io', () => {
  test('/ depends on the Host header', async () => {
    const site = await call('/', { host: 'test.k6.io' });
    assert.match(site.text, /Collection of simple web-pages suitable for load testing/);
    assert.match(site.text, /href="\/my_messages.php"/);
    assert.match((await call('/', { host: 'httpbin.test.k6.io' })).text, /httpbin\.org/);
    assert.match((await call('/', { host: 'quickpizza.grafana.com' })).text, /QuickPizza/);
    assert.match((await call('/', { host: 'test-api.k6.io:80' })).text, /test-api\.k6\.io/);
  });

  test('login form with a session-bound csrftoken, then the welcome page', async () => {
    const form = await call('/my_messages.php', { host: 'test.k6.io' });
    assert.match(form.text, /<h2>Unauthorized<\/h2>/);
    const token = /name="csrftoken" value="([^"]+)"/.exec(form.text)?.[1] ?? '';
    assert.match(Buffer.from(token, 'base64').toString(), /^\d{9}$/);
    const session = cookieHeader(form);
    assert.match(session, /^PHPSESSID=/);

    const post = (fields: string, cookie = session) =>
      call('/login.php', {
        method: 'POST',
        host: 'test.k6.io',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
        body: fields,
      });
    const forged = await post('login=admin&password=123&redir=1&csrftoken=nope');
    assert.equal(forged.status, 403);
    assert.match(forged.text, /invalid csrf token/);

    const login = await post(
      `login=admin&password=123&redir=1&csrftoken=${encodeURIComponent(token)}`,
    );
    assert.equal(login.status, 302);
    assert.equal(login.headers.location, '/my_messages.php');
    const auth = cookieHeader(login);
    assert.equal(auth, 'uid=3221; sid=39b77ac6-39c4-4c43-98b3-6b2816682036');
    const welcome = await call('/my_messages.php', {
      host: 'test.k6.io',
      headers: { Cookie: `${session}; ${auth}` },
    });
    assert.match(welcome.text, /Welcome, admin!/);
    assert.equal((welcome.text.match(/<tr>\n {2}<td>\d<\/td>/g) ?? []).length, 3);

    // every visit to my_messages.php issues a fresh token into the session
    const fresh = /name="csrftoken" value="([^"]+)"/.exec(welcome.text)?.[1] ?? '';
    assert.notEqual(fresh, token);
    assert.equal(
      (await post(`login=admin&password=123&csrftoken=${encodeURIComponent(token)}`)).status,
      403,
    );
    const wrong = await post(`login=admin&password=x&csrftoken=${encodeURIComponent(fresh)}`);
    assert.equal(wrong.status, 200);
    assert.match(wrong.text, /invalid login\/password combination/);
  });

  test('static pages, flip_coin and pi', async () => {
    assert.match((await call('/contacts.php')).text, /<h3>Contact us<\/h3>/);
    assert.match((await call('/news.php')).text, /In the news/);
    const coin = await call('/flip_coin.php?bet=tails');
    assert.match(coin.text, /Your bet: tails\./);
    assert.match(coin.text, /You (won|lost)!/);
    assert.equal((await call('/pi.php?decimals=3')).text, '3.141');
    assert.equal((await call('/pi.php')).text, '3.14');
  });
});

describe('test-api.k6.io', () => {
  const host = 'test-api.k6.io';

  test('public crocodiles', async () => {
    const list = await call('/public/crocodiles/', { host });
    const crocs = list.json<{ id: number; name: string; age: number; date_of_birth: string }[]>();
    assert.equal(crocs.length, 8);
    assert.deepEqual(Object.keys(crocs[0] ?? {}), ['id', 'name', 'sex', 'date_of_birth', 'age']);
    const bert = crocs[0];
    const years = new Date().getUTCFullYear() - 2010;
    assert.ok(bert && (bert.age === years || bert.age === years - 1));
    assert.equal(
      (await call('/public/crocodiles/7/', { host })).json<{ name: string }>().name,
      'Sobek',
    );
    assert.equal((await call('/public/crocodiles/99/', { host })).status, 404);
    const slash = await call('/public/crocodiles', { host });
    assert.equal(slash.status, 301);
    assert.equal(slash.headers.location, '/public/crocodiles/');
  });

  test('register, token login, and CRUD on my crocodiles', async () => {
    const user = {
      username: 'croc_owner',
      password: 'superCroc2019',
      first_name: 'C',
      last_name: 'O',
    };
    const reg = await call('/user/register/', {
      method: 'POST',
      host,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(user).toString(),
    });
    assert.equal(reg.status, 201);
    assert.deepEqual(reg.json(), {
      username: 'croc_owner',
      first_name: 'C',
      last_name: 'O',
      email: '',
    });
    const again = await call('/user/register/', { ...jsonBody(user), host });
    assert.equal(again.status, 400);
    assert.deepEqual(again.json(), { username: ['User with this username already exists!'] });

    const denied = await call('/auth/token/login/', {
      ...jsonBody({ ...user, password: 'x' }),
      host,
    });
    assert.equal(denied.status, 401);
    const tokens = (await call('/auth/token/login/', { ...jsonBody(user), host })).json<{
      access: string;
      refresh: string;
    }>();
    assert.equal(tokens.access.split('.').length, 3);
    const auth = { Authorization: `Bearer ${tokens.access}` };

    assert.equal((await call('/my/crocodiles/', { host })).status, 401);
    const created = await call('/my/crocodiles/', {
      ...jsonBody({ name: 'Croc', sex: 'M', date_of_birth: '2019-01-01' }),
      host,
      headers: { 'Content-Type': 'application/json', ...auth },
    });
    assert.equal(created.status, 201);
    const croc = created.json<{ id: number; name: string }>();
    const bad = await call('/my/crocodiles/', {
      ...jsonBody({ name: 'X', sex: 'Q', date_of_birth: '2019-13-01' }),
      host,
      headers: { 'Content-Type': 'application/json', ...auth },
    });
    assert.deepEqual(bad.json(), {
      sex: ['"Q" is not a valid choice.'],
      date_of_birth: ['Date has wrong format. Use one of these formats instead: YYYY-MM-DD.'],
    });

    const mine = await call('/my/crocodiles/', { host, headers: auth });
    assert.deepEqual(
      mine.json<{ id: number }[]>().map((c) => c.id),
      [croc.id],
    );
    const patched = await call(`/my/crocodiles/${croc.id}/`, {
      ...jsonBody({ name: 'New name' }),
      method: 'PATCH',
      host,
      headers: { 'Content-Type': 'application/json', ...auth },
    });
    assert.equal(patched.json<{ name: string }>().name, 'New name');
    const basic = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
    const viaBasic = await call(`/my/crocodiles/${croc.id}/`, {
      host,
      headers: { Authorization: basic },
    });
    assert.equal(viaBasic.status, 200);
    assert.equal(
      (await call(`/my/crocodiles/${croc.id}/`, { method: 'DELETE', host, headers: auth })).status,
      204,
    );
    assert.equal((await call(`/my/crocodiles/${croc.id}/`, { host, headers: auth })).status, 404);
  });
});

describe('QuickPizza', () => {
  const host = 'quickpizza.grafana.com';
  const token = { Authorization: 'token abcdef0123456789', 'Content-Type': 'application/json' };
  type Recommendation = {
    pizza: {
      id: number;
      name: string;
      ingredients: { name: string; vegetarian: boolean }[];
      tool: string;
    };
    calories: number;
    vegetarian: boolean;
  };

  test('POST /api/pizza needs a token or X-User-ID and honours restrictions', async () => {
    const restrictions = {
      maxCaloriesPerSlice: 500,
      mustBeVegetarian: true,
      minNumberOfToppings: 2,
      maxNumberOfToppings: 3,
    };
    const res = await call('/api/pizza', { ...jsonBody(restrictions), host, headers: token });
    assert.equal(res.status, 200);
    const r = res.json<Recommendation>();
    assert.ok(r.pizza.name.length > 0);
    assert.ok(r.pizza.ingredients.length >= 4, 'oil, tomato, mozzarella and toppings');
    assert.equal(r.vegetarian, true);
    assert.ok(r.pizza.ingredients.every((i) => i.vegetarian));

    const legacy = await call('/api/pizza', {
      ...jsonBody({}),
      host,
      headers: { 'X-User-ID': '23423' },
    });
    assert.equal(legacy.status, 200);
    const anonymous = await call('/api/pizza', { ...jsonBody({}), host });
    assert.equal(anonymous.status, 401);
    assert.deepEqual(anonymous.json(), { error: 'authentication failed' });
    const unknown = await call('/api/pizza', { ...jsonBody({ nope: 1 }), host, headers: token });
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.json(), { error: 'json: unknown field "nope"' });
    const again = await call(`/api/pizza/${r.pizza.id}`, { host, headers: token });
    assert.equal(again.json<{ name: string }>().name, r.pizza.name);
  });

  test('copy endpoints, users, login and ratings CRUD', async () => {
    for (const key of ['names', 'quotes', 'adjectives']) {
      const list = (await call(`/api/${key}`, { host })).json<Record<string, string[]>>()[key];
      assert.ok(list && list.length > 0, key);
    }
    const created = await call('/api/users', {
      ...jsonBody({ username: 'u@example.com', password: 'secret' }),
      host,
    });
    assert.equal(created.status, 201);
    assert.equal(created.json<{ username: string }>().username, 'u@example.com');
    const login = await call('/api/users/token/login', {
      ...jsonBody({ username: 'u@example.com', password: 'secret' }),
      host,
    });
    const userToken = login.json<{ token: string }>().token;
    assert.equal(userToken.length, 16);
    const badLogin = await call('/api/users/token/login', {
      ...jsonBody({ username: 'default', password: 'x' }),
      host,
    });
    assert.equal(badLogin.status, 401);

    const auth = { Authorization: `Bearer ${userToken}`, 'Content-Type': 'application/json' };
    const rating = await call('/api/ratings', {
      ...jsonBody({ stars: 2, pizza_id: 1 }),
      host,
      headers: auth,
    });
    assert.equal(rating.status, 201);
    const { id } = rating.json<{ id: number }>();
    assert.deepEqual(rating.json(), { id, stars: 2, pizza_id: 1 });
    assert.equal(
      (await call('/api/ratings', { ...jsonBody({ stars: 9, pizza_id: 1 }), host, headers: auth }))
        .status,
      400,
    );
    const listed = await call('/api/ratings', { host, headers: auth });
    assert.deepEqual(listed.json(), { ratings: [{ id, stars: 2, pizza_id: 1 }] });
    const updated = await call(`/api/ratings/${id}`, {
      ...jsonBody({ stars: 5 }),
      method: 'PUT',
      host,
      headers: auth,
    });
    assert.equal(updated.json<{ stars: number }>().stars, 5);
    assert.equal(
      (await call(`/api/ratings/${id}`, { method: 'DELETE', host, headers: auth })).status,
      204,
    );
    assert.equal((await call(`/api/ratings/${id}`, { host, headers: auth })).status, 404);

    const csrf = await call('/api/csrf-token', { method: 'POST', host });
    assert.match(cookieHeader(csrf), /^csrf_token=\w{32}$/);
  });

  test('http-testing endpoints under /api', async () => {
    assert.equal((await call('/api/status/418', { method: 'POST', host })).status, 418);
    assert.deepEqual((await call('/api/json?a=1&b=2', { host })).json(), { a: '1', b: '2' });
    const posted = await call('/api/post', {
      method: 'POST',
      host,
      headers: { 'Content-Type': 'text/plain' },
      body: 'hi',
    });
    assert.equal(posted.text, 'hi');
    assert.equal(posted.headers['content-type'], 'text/plain');
    assert.equal((await call('/api/delay/20ms', { host })).status, 200);
    assert.equal((await call('/api/nothing', { host })).text, '404 page not found\n');
  });
});

describe('received() and connection handling', () => {
  test('counts exactly what was sent, per path, method and host', async () => {
    const before = standIn.received();
    await call('/get?x=1', { host: 'httpbin.test.k6.io' });
    await call('/get?x=2', { host: 'httpbin.org' });
    await call('/post', { method: 'POST', host: 'httpbin.org:443', body: '' });
    await call('/nowhere');
    const now = standIn.received();
    assert.equal(now.total - before.total, 4);
    assert.equal((now.byPath['/get'] ?? 0) - (before.byPath['/get'] ?? 0), 2);
    assert.equal(
      now.count({ path: '/post', method: 'post', host: 'HTTPBIN.ORG' }) -
        before.count({ path: '/post', method: 'POST', host: 'httpbin.org' }),
      1,
    );
    assert.equal(now.count({ path: '/nowhere' }) - before.count({ path: '/nowhere' }), 1);
    assert.deepEqual(now.requests.at(-4), {
      method: 'GET',
      path: '/get',
      url: '/get?x=1',
      host: 'httpbin.test.k6.io',
    });
    assert.equal(before.total, now.total - 4, 'a snapshot does not grow');
  });

  test('keep-alive reuses one socket across requests', async () => {
    const single = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await call('/get', { agent: single });
      const second = await call('/gzip', { agent: single });
      const third = await call('/post', { method: 'POST', body: 'x', agent: single });
      assert.deepEqual(
        [first.reusedSocket, second.reusedSocket, third.reusedSocket],
        [false, true, true],
      );
    } finally {
      single.destroy();
    }
  });

  test('close() does not wait for a pending /delay', async () => {
    const other = await startStandIn();
    const pending = fetch(`${other.url}/delay/10`).catch(() => 'aborted');
    await new Promise((r) => setTimeout(r, 50));
    const started = performance.now();
    await other.close();
    assert.ok(performance.now() - started < 1000);
    assert.equal(await pending, 'aborted');
    assert.equal(other.received().count({ path: '/delay/10' }), 1);
  });
});
