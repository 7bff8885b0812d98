import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import vm from 'node:vm';
import { bundleScript, ScriptError } from './bundle.js';
import { transformModule } from './transform.js';

/** Problems name `line N` of the source, as compile.ts names the script's own lines. */
function whereIn(code: string): (offset: number) => string {
  return (offset) => `line ${code.slice(0, offset).split('\n').length}`;
}

function transform(code: string) {
  return transformModule(code, whereIn(code));
}

/**
 * A VU as the transformed script sees it, and k6's modules faked so that every blocking call
 * takes a timer tick. Each blocking call and each `mark()` writes the trace; a mark, request
 * or sleep made while a request is still in flight (a call the transform did not await) throws,
 * as does a blocking call while another is pending: so the trace of a passing run is the
 * order a synchronous k6 VU would have made its calls in.
 */
class FakeVu {
  readonly trace: string[] = [];
  readonly errors: string[] = [];
  phase: 'init' | 'vu' = 'init';
  id = 7;
  iteration = 3;
  env: Record<string, string> = { HOST: 'example.test' };
  pending: string | undefined;
  inFlight = 0;

  settle<T>(value: T): T {
    this.pending = undefined;
    return value;
  }

  /** What k6's primitives do first: refuse the init context and overlapping calls. */
  begin(call: string, entry: string): void {
    if (this.phase === 'init') this.fail(`${call}() in the init context`);
    if (this.pending !== undefined) this.fail(`${call}() while ${this.pending}() was not awaited`);
    if (this.inFlight > 0) this.fail(`${call}() while a call is in flight`);
    this.pending = call;
    this.trace.push(entry);
  }

  fail(message: string): never {
    this.errors.push(message);
    throw new Error(message);
  }

  /** A blocking call's result: ready after a timer, as a request or a sleep would be. */
  later<T>(value: () => T): Promise<T> {
    this.inFlight++;
    return new Promise((resolve) =>
      setTimeout(() => {
        this.inFlight--;
        resolve(value());
      }, 1),
    );
  }
}

function fakeModules(vu: FakeVu): Record<string, Record<string, unknown>> {
  const response = (url: string) => ({
    url,
    status: 200,
    body: `body of ${url}`,
    json: (selector?: string) => (selector === undefined ? { url } : `${url}#${selector}`),
    submitForm: (options: { fields?: Record<string, string> } = {}) =>
      request('POST', `${url}/form`, options.fields),
    clickLink: () => request('GET', `${url}/link`),
  });
  const request = (method: string, url: string, _body?: unknown) => {
    const name = method === 'DELETE' ? 'del' : method.toLowerCase();
    vu.begin(`http.${name}`, `${method} ${url}`);
    return vu.later(() => response(url));
  };
  const http: Record<string, unknown> = {
    get: (url: string) => request('GET', url),
    head: (url: string) => request('HEAD', url),
    post: (url: string, body?: unknown) => request('POST', url, body),
    put: (url: string, body?: unknown) => request('PUT', url, body),
    patch: (url: string, body?: unknown) => request('PATCH', url, body),
    del: (url: string, body?: unknown) => request('DELETE', url, body),
    options: (url: string) => request('OPTIONS', url),
    request: (method: string, url: string, body?: unknown) => request(method, url, body),
    batch: (urls: string[]) => {
      vu.begin('http.batch', `BATCH ${urls.join(' ')}`);
      return vu.later(() => urls.map(response));
    },
    url: (strings: TemplateStringsArray, ...values: unknown[]) =>
      String.raw({ raw: strings }, ...values),
  };
  const k6: Record<string, unknown> = {
    sleep: (seconds: number) => {
      vu.begin('sleep', `sleep ${seconds}`);
      return vu.later(() => undefined);
    },
    group: async (name: string, fn: () => unknown) => {
      vu.trace.push(`group ${name} {`);
      try {
        return await fn();
      } finally {
        vu.trace.push(`} ${name}`);
      }
    },
    check: (value: unknown, checks: Record<string, (v: unknown) => boolean>) => {
      for (const [name, fn] of Object.entries(checks)) vu.trace.push(`check ${name} ${fn(value)}`);
      return true;
    },
  };
  const trace: Record<string, unknown> = {
    mark: (what: unknown) => {
      if (vu.inFlight > 0) vu.fail(`mark(${String(what)}) while a call is in flight`);
      vu.trace.push(`mark ${typeof what === 'string' ? what : JSON.stringify(what)}`);
      return what;
    },
  };
  return {
    'k6/http': { ...http, default: http },
    k6: { ...k6, default: k6 },
    trace: { ...trace, default: trace },
  };
}

interface RunOptions {
  /** the export to call as the iteration (default: 'default') */
  exec?: string;
  data?: unknown;
}

/** Transforms the script, runs its init code and one iteration, and returns the trace. */
async function run(code: string, options: RunOptions = {}): Promise<string[]> {
  const { source, exports: names } = transform(code);
  return runSource(source, names, options);
}

async function runSource(
  source: string,
  names: string[],
  options: RunOptions = {},
): Promise<string[]> {
  const vu = new FakeVu();
  const modules = fakeModules(vu);
  const body = vm.runInNewContext(source, { setTimeout, console }) as (...args: unknown[]) => void;
  const exports: Record<string, unknown> = {};
  const require = (spec: string) => modules[spec]?.default;
  body({ import: (spec: string) => modules[spec] }, vu, exports, undefined, require);
  assert.deepEqual(Object.keys(exports).sort(), [...names].sort());
  vu.phase = 'vu';
  const exec = options.exec ?? 'default';
  const fn = exports[exec];
  assert.equal(typeof fn, 'function', `export ${exec} is a function`);
  await (fn as (data: unknown) => unknown)(options.data);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(vu.errors, [], 'no call was left un-awaited');
  assert.equal(vu.pending, undefined, 'no blocking call is pending at the end of the iteration');
  return vu.trace;
}

function refuses(code: string, ...patterns: RegExp[]): string[] {
  try {
    transform(code);
  } catch (error) {
    assert.ok(error instanceof ScriptError, `a ScriptError, not ${String(error)}`);
    for (const pattern of patterns) {
      assert.ok(
        error.problems.some((p) => pattern.test(p)),
        `a problem matching ${pattern} in:\n${error.problems.join('\n')}`,
      );
    }
    return error.problems;
  }
  assert.fail(`the transform accepted:\n${code}`);
}

const HEAD = `import http from "k6/http";
import { sleep, group, check } from "k6";
import { mark } from "trace";
`;

describe('transformModule: runs in the order a synchronous k6 VU would', () => {
  it('awaits direct calls in the default export', async () => {
    const trace = await run(`${HEAD}
function s_default() {
  const res = http.get("/a");
  mark(res.status);
  sleep(1);
  http.post("/b", "x");
  mark("end");
}
export { s_default as default };`);
    assert.deepEqual(trace, ['GET /a', 'mark 200', 'sleep 1', 'POST /b', 'mark end']);
  });

  it('awaits calls through helpers several levels deep, declared after use', async () => {
    const trace = await run(`${HEAD}
function s_default() {
  mark(level1("/a").url);
  mark("after");
}
function level1(u) { const r = level2(u); mark("l1"); return r; }
const level2 = (u) => level3(u + "/2");
const level3 = function (u) { return http.get(u + "/3"); };
export { s_default as default };`);
    assert.deepEqual(trace, ['GET /a/2/3', 'mark l1', 'mark /a/2/3', 'mark after']);
  });

  it('awaits object-literal methods, class methods and this.client.get()', async () => {
    const trace = await run(`${HEAD}
var Client = class {
  constructor(base) { this.base = base; }
  get(path) { return http.get(this.base + path); }
  static ping() { return http.head("/ping"); }
};
var api = {
  client: new Client("/api"),
  user(id) { return this.client.get("/users/" + id); },
  login: function () { return http.post("/login"); },
  logout: () => http.del("/session"),
  "quoted name"() { return sleep(2); },
};
function s_default() {
  api.login();
  mark(api.user(1).url);
  api["quoted name"]();
  Client.ping();
  api.logout();
}
export { s_default as default };`);
    assert.deepEqual(trace, [
      'POST /login',
      'GET /api/users/1',
      'mark /api/users/1',
      'sleep 2',
      'HEAD /ping',
      'DELETE /session',
    ]);
  });

  it('awaits group() with arrow callbacks, nested groups and its return value', async () => {
    const trace = await run(`${HEAD}
function s_default() {
  const r = group("outer", () => {
    http.get("/1");
    group("inner", function () { sleep(1); mark("in"); });
    return http.get("/2");
  });
  mark(r.url);
  group("named", step);
}
function step() { http.get("/3"); }
export { s_default as default };`);
    assert.deepEqual(trace, [
      'group outer {',
      'GET /1',
      'group inner {',
      'sleep 1',
      'mark in',
      '} inner',
      'GET /2',
      '} outer',
      'mark /2',
      'group named {',
      'GET /3',
      '} named',
    ]);
  });

  it('awaits IIFEs, arrow and function, and a function expression called at once', async () => {
    const trace = await run(`${HEAD}
function s_default() {
  (function () { http.get("/1"); })();
  (() => { http.get("/2"); })();
  const r = function () { return http.get("/3"); }();
  mark(!function () { http.get("/4"); }());
  mark(r.url);
}
export { s_default as default };`);
    assert.deepEqual(trace, ['GET /1', 'GET /2', 'GET /3', 'GET /4', 'mark true', 'mark /3']);
  });

  for (const [form, code] of [
    ['export default function () {}', 'export default function () { http.get("/d"); }'],
    ['export default function named() {}', 'export default function named() { http.get("/d"); }'],
    ['export default () => {}', 'export default () => { http.get("/d"); };'],
    ['export default () => expression', 'export default () => http.get("/d");'],
    ['export default async function', 'export default async function () { http.get("/d"); }'],
    ['export { x as default }', 'function x() { http.get("/d"); }\nexport { x as default };'],
    ['export default identifier', 'const x = () => http.get("/d");\nexport default x;'],
  ] as const) {
    it(`runs the default export written as ${form}`, async () => {
      assert.deepEqual(await run(`${HEAD}${code}`), ['GET /d']);
    });
  }

  it('runs named exports as scenario exec functions', async () => {
    const code = `${HEAD}
export function browse() { http.get("/browse"); }
export const buy = () => { http.post("/buy"); browse(); };
function s_default() {}
export { s_default as default };`;
    assert.deepEqual(await run(code, { exec: 'browse' }), ['GET /browse']);
    assert.deepEqual(await run(code, { exec: 'buy' }), ['POST /buy', 'GET /browse']);
  });

  it('awaits res.submitForm(), res.clickLink() and chained calls on a response', async () => {
    const trace = await run(`${HEAD}
function s_default() {
  const page = http.get("/page");
  const next = page.submitForm({ fields: { a: "1" } });
  mark(next.url);
  mark(next.clickLink().url);
  mark(http.get("/j").json("x"));
  mark(http.get("/chain").submitForm().clickLink().url);
}
export { s_default as default };`);
    assert.deepEqual(trace, [
      'GET /page',
      'POST /page/form',
      'mark /page/form',
      'GET /page/form/link',
      'mark /page/form/link',
      'GET /j',
      'mark /j#x',
      'GET /chain',
      'POST /chain/form',
      'GET /chain/form/link',
      'mark /chain/form/link',
    ]);
  });

  it('awaits a user function whose result is chained into a blocking method', async () => {
    const trace = await run(`${HEAD}
function s_default() {
  mark(open("/p").submitForm().url);
  mark(api.open("/q").clickLink().url);
}
function open(u) { return http.get(u); }
var api = { open(u) { return http.get(u); } };
export { s_default as default };`);
    assert.deepEqual(trace, [
      'GET /p',
      'POST /p/form',
      'mark /p/form',
      'GET /q',
      'GET /q/link',
      'mark /q/link',
    ]);
  });

  it('awaits http.batch and the other verbs, through namespace and named imports', async () => {
    const trace = await run(`import * as h from "k6/http";
import { get as fetch, request } from "k6/http";
import k6 from "k6";
import { mark } from "trace";
function s_default() {
  const rs = h.batch(["/1", "/2"]);
  mark(rs.length);
  fetch("/named");
  request("PUT", "/req");
  h["patch"]("/computed");
  k6.sleep(0.5);
}
export { s_default as default };`);
    assert.deepEqual(trace, [
      'BATCH /1 /2',
      'mark 2',
      'GET /named',
      'PUT /req',
      'PATCH /computed',
      'sleep 0.5',
    ]);
  });

  it('awaits inside functions written async; their callers are left as written', async () => {
    const code = `${HEAD}
async function load(u) { const r = http.get(u); mark("loaded " + r.url); return r; }
export default async function () {
  const r = await load("/a");
  mark(r.url);
  await load("/b");
}`;
    const { source } = transform(code);
    assert.match(source, /const r = await load\("\/a"\)/);
    assert.deepEqual(await run(code), [
      'GET /a',
      'mark loaded /a',
      'mark /a',
      'GET /b',
      'mark loaded /b',
    ]);
  });

  it('awaits recursion and mutual recursion', async () => {
    const trace = await run(`${HEAD}
function down(n) { if (n === 0) return; http.get("/down/" + n); down(n - 1); }
function ping(n) { if (n > 0) { http.get("/ping/" + n); pong(n - 1); } }
function pong(n) { if (n > 0) { http.get("/pong/" + n); ping(n - 1); } }
const fact = function self(n) { http.get("/self/" + n); return n > 1 ? n * self(n - 1) : 1; };
function s_default() { down(2); ping(3); mark(fact(3)); }
export { s_default as default };`);
    assert.deepEqual(trace, [
      'GET /down/2',
      'GET /down/1',
      'GET /ping/3',
      'GET /pong/2',
      'GET /ping/1',
      'GET /self/3',
      'GET /self/2',
      'GET /self/1',
      'mark 6',
    ]);
  });

  it('awaits closures that call blocking functions they capture', async () => {
    const trace = await run(`${HEAD}
function s_default() {
  const base = "/c";
  const get = (p) => http.get(base + p);
  function twice(p) { get(p); get(p + "/again"); }
  twice("/x");
  mark("done");
}
export { s_default as default };`);
    assert.deepEqual(trace, ['GET /c/x', 'GET /c/x/again', 'mark done']);
  });

  it('awaits inside try/catch/finally, loops, and conditions', async () => {
    const trace = await run(`${HEAD}
function fails() { http.get("/fails"); throw new Error("boom"); }
function s_default() {
  try { fails(); mark("not reached"); } catch (e) { mark(e.message); http.get("/catch"); }
  finally { sleep(1); }
  for (let i = 0; i < 2; i++) http.get("/for/" + i);
  for (const p of ["/a", "/b"]) http.get("/of" + p);
  for (const k in { x: 1 }) http.get("/in/" + k);
  let n = 0;
  while (http.get("/while/" + n).url !== "/while/2") n++;
  do { n--; } while (http.get("/do/" + n) && n > 1);
  if (http.get("/if").status === 200) mark("yes");
  switch (http.get("/switch").status) { case 200: http.get("/case"); }
}
export { s_default as default };`);
    assert.deepEqual(trace, [
      'GET /fails',
      'mark boom',
      'GET /catch',
      'sleep 1',
      'GET /for/0',
      'GET /for/1',
      'GET /of/a',
      'GET /of/b',
      'GET /in/x',
      'GET /while/0',
      'GET /while/1',
      'GET /while/2',
      'GET /do/1',
      'GET /if',
      'mark yes',
      'GET /switch',
      'GET /case',
    ]);
  });

  it('awaits inside &&, ||, ??, ternaries, templates, spreads and optional calls', async () => {
    const trace = await run(`${HEAD}
function maybe(u) { return http.get(u); }
var obj = { maybe };
function s_default() {
  const yes = true, no = false, none = null;
  yes && http.get("/and");
  no && http.get("/skipped-and");
  no || http.get("/or");
  none ?? http.get("/nullish");
  mark(yes ? http.get("/then").url : null);
  mark(no ? http.get("/skipped") : http.get("/else").url);
  mark(\`\${http.get("/tpl").url}!\`);
  const args = ["/spread"];
  http.get(...args);
  mark([...[maybe("/in-array").url]]);
  const r = maybe?.("/opt");
  mark(r?.url);
  mark((obj.maybe?.("/opt-method")).url);
  const none2 = null;
  mark(none2?.maybe("/short-circuited"));
  mark(http.get("/then-optional")?.url);
}
export { s_default as default };`);
    assert.deepEqual(trace, [
      'GET /and',
      'GET /or',
      'GET /nullish',
      'GET /then',
      'mark /then',
      'GET /else',
      'mark /else',
      'GET /tpl',
      'mark /tpl!',
      'GET /spread',
      'GET /in-array',
      'mark ["/in-array"]',
      'GET /opt',
      'mark /opt',
      'GET /opt-method',
      'mark /opt-method',
      'mark undefined',
      'GET /then-optional',
      'mark /then-optional',
    ]);
  });
});

describe('transformModule: names that are not k6', () => {
  it('leaves a local variable named http alone, and awaits the real one', async () => {
    const code = `${HEAD}
function s_default() {
  const http = { get: (u) => mark("local " + u) };
  http.get("/x");
  real("/y");
}
function real(u) { return __m.get(u); }
import __m from "k6/http";
export { s_default as default };`;
    assert.doesNotMatch(transform(code).source, /settle\(http\.get\("\/x"\)\)/);
    assert.deepEqual(await run(code), ['mark local /x', 'GET /y']);
  });

  it('leaves a parameter named sleep alone', async () => {
    const code = `${HEAD}
function pause(sleep) { sleep(5); mark("after"); }
function s_default() { pause((s) => mark("fake " + s)); sleep(1); }
export { s_default as default };`;
    assert.deepEqual(await run(code), ['mark fake 5', 'mark after', 'sleep 1']);
    assert.equal(transform(code).madeAsync, 1);
  });

  it('rewrites __VU, __ITER and __ENV, shorthand included, but not a local __VU', async () => {
    const code = `${HEAD}
function s_default() {
  mark({ __VU, __ITER, host: __ENV.HOST });
  mark(\`vu \${__VU} iter \${__ITER}\`);
  const inner = () => { const __VU = "mine"; return __VU; };
  mark(inner());
  http.get("/" + __ENV["HOST"] + "/" + __VU);
}
export { s_default as default };`;
    assert.deepEqual(await run(code), [
      'mark {"__VU":7,"__ITER":3,"host":"example.test"}',
      'mark vu 7 iter 3',
      'mark mine',
      'GET /example.test/7',
    ]);
  });
});

describe('transformModule: refuses what it cannot make wait, naming the line', () => {
  const body = (lines: string) => `${HEAD}\n${lines}\nexport { s_default as default };`;
  const cases: Array<[what: string, code: string, ...patterns: RegExp[]]> = [
    [
      'a forEach callback',
      body('function s_default() {\n["/a"].forEach((u) => http.get(u));\n}'),
      /^line 6: a function that makes requests or sleeps is passed as a value \(passed to \["\/a"\]\.forEach|^line 6: .*passed to …\.forEach.*for…of/,
    ],
    [
      'a named function given to map',
      body('function get(u) { return http.get(u); }\nfunction s_default() {\n["/a"].map(get);\n}'),
      /^line 7: get makes requests or sleeps and is used here as a value \(passed to …\.map\)/,
    ],
    [
      'a reduce callback',
      body('function s_default() {\n["/a"].reduce((acc, u) => http.get(u), null);\n}'),
      /^line 6: .*passed to …\.reduce/,
    ],
    [
      'a sort comparator',
      body(
        'function size(u) { return http.get(u).body.length; }\nfunction s_default() {\n["/a", "/b"].sort((x, y) => size(x) - size(y));\n}',
      ),
      /^line 7: .*passed to …\.sort/,
    ],
    [
      'a setTimeout callback',
      body('function s_default() {\nsetTimeout(() => { http.get("/later"); }, 10);\n}'),
      /^line 6: .*passed to setTimeout/,
    ],
    [
      'a function stored in an array',
      body(
        'function step() { http.get("/s"); }\nfunction s_default() {\nconst steps = [step];\nsteps[0]();\n}',
      ),
      /^line 7: step .*used here as a value \(stored in an array\)/,
    ],
    [
      'an object of functions walked by key',
      body(
        'function step() { http.get("/s"); }\nconst steps = { step, other: () => sleep(1) };\nfunction s_default() {\nfor (const k in steps) steps[k]();\n}',
      ),
      /^line 8: .*steps .*by a computed key/,
    ],
    [
      'an object of functions given to Object.values',
      body(
        'const steps = { a() { http.get("/s"); } };\nfunction s_default() {\nObject.values(steps).forEach((f) => f());\n}',
      ),
      /^line 7: .*steps .*Object\.values/,
    ],
    [
      'new of a blocking function',
      body(
        'function Page(u) { this.res = http.get(u); }\nfunction s_default() {\nnew Page("/p");\n}',
      ),
      /^line 7: Page makes requests or sleeps and is used here as a value/,
    ],
    [
      'a blocking function passed to a user higher-order function',
      body(
        'function twice(f) { f(); f(); }\nfunction step() { http.get("/s"); }\nfunction s_default() {\ntwice(step);\n}',
      ),
      /^line 8: step .*\(passed to twice\)/,
    ],
    [
      '.call, .apply and .bind',
      body(
        'function step() { http.get("/s"); }\nvar o = { m() { sleep(1); } };\nfunction s_default() {\nstep.call(null);\nstep.apply(null, []);\nconst b = o.m.bind(o);\n}',
      ),
      /^line 8: step .*\(\.call\)/,
      /^line 9: step .*\(\.apply\)/,
      /^line 10: the method m .*\(\.bind\)/,
    ],
    [
      'a blocking closure returned from a function',
      body(
        'function make(u) {\nreturn () => http.get(u);\n}\nfunction s_default() { make("/a")(); }',
      ),
      /^line 6: a function that makes requests or sleeps is passed as a value/,
    ],
    [
      'a blocking function reassigned',
      body(
        'let step = () => http.get("/a");\nstep = () => mark("no");\nfunction s_default() { step(); }',
      ),
      /^line 5: step makes requests or sleeps and is assigned more than once/,
    ],
    [
      'a named function expression reassigned',
      body(
        'var step = function named() { http.get("/a"); };\nstep = () => mark("no");\nfunction s_default() { step(); }',
      ),
      /^line 5: step makes requests or sleeps and is assigned more than once/,
    ],
    [
      'http.get taken as a value, destructured, or the module passed on',
      body(
        'const { get } = http;\nconst g = http.get;\nfunction s_default() {\n["/a"].forEach(sleep);\nuse(http);\n}\nfunction use(h) { h.get("/x"); }',
      ),
      /^line 5: the module "k6\/http" is used here as a value \(stored\)/,
      /^line 6: http\.get is used here as a value/,
      /^line 8: sleep \(from "k6"\) is used here as a value \(passed to …\.forEach\)/,
      /^line 9: the module "k6\/http" is used here as a value \(passed to use\)/,
    ],
    [
      'a blocking method destructured',
      body(
        'var api = { login() { http.post("/login"); } };\nfunction s_default() {\nconst { login } = api;\nlogin();\n}',
      ),
      /^line 7: the method login .*destructured/,
    ],
    [
      'a getter, a setter, a constructor and a generator',
      body(
        'var A = class {\nconstructor() { http.get("/c"); }\nget page() { return http.get("/g"); }\nset page(v) { sleep(v); }\n};\nfunction* gen() { yield http.get("/y"); }\nfunction s_default() {}',
      ),
      /^line 6: a constructor makes requests/,
      /^line 7: the getter page makes requests/,
      /^line 8: the setter page makes requests/,
      /^line 10: http\.get\(\) inside a generator function/,
    ],
    [
      'a blocking call in a parameter default',
      body('function f(r = http.get("/d")) { return r; }\nfunction s_default() { f(); }'),
      /^line 5: http\.get\(\) in a parameter's default value: .*if \(r === undefined\)/,
    ],
    [
      'a blocking call in a class field initializer or static block',
      body(
        'function s_default() {\nclass A {\nres = http.get("/f");\nstatic { sleep(1); }\n}\nreturn new A();\n}',
      ),
      /^line 7: http\.get\(\) in a class field's initializer/,
      /^line 8: sleep\(\) in a static block/,
    ],
    [
      'blocking calls in the init context',
      body(
        'const res = http.get("/init");\nfunction f() { sleep(1); }\nf();\nfunction s_default() {}',
      ),
      /^line 5: http\.get\(\) in the init context/,
      /^line 7: f\(\) in the init context/,
    ],
    [
      'an optional chain going on after a blocking call',
      body(
        'function s_default(c) {\nc?.page.submitForm().url;\nhelper?.().url;\n}\nfunction helper() { return http.get("/h"); }',
      ),
      /^line 6: …\.submitForm\(\) inside an optional chain/,
      /^line 7: helper\(\) inside an optional chain/,
    ],
    [
      'request-making check() callbacks',
      body(
        'function s_default() {\ncheck(null, { "fetches": () => http.get("/c").status === 200 });\n}',
      ),
      /^line 6: fetches makes requests or sleeps and is passed in an object to check\(\)/,
    ],
    [
      'a blocking function as a tag of a template',
      body('function get(s) { return http.get(s[0]); }\nfunction s_default() {\nget`/a`;\n}'),
      /^line 7: get makes requests or sleeps and is used here as a value/,
    ],
    [
      'request-making methods the language calls by itself',
      body(
        'var Page = class {\ntoString() { return http.get("/s").body; }\n};\nvar lazy = {\nthen(resolve) { resolve(http.get("/t")); }\n};\nfunction s_default() {}',
      ),
      /^line 6: the method toString makes requests or sleeps, and JavaScript calls toString\(\) by itself/,
      /^line 9: the method then makes requests/,
    ],
    [
      'request-making accessors in a property descriptor or a Proxy handler',
      body(
        'function s_default() {\nconst o = {};\nObject.defineProperty(o, "page", {\nget: () => http.get("/p"),\n});\nreturn new Proxy(o, {\nget(t, k) { return http.get("/" + k); },\n});\n}',
      ),
      /^line 8: get makes requests or sleeps and is passed in an object to Object\.defineProperty\(\)/,
      /^line 11: get makes requests or sleeps and is passed in an object to new Proxy\(\)/,
    ],
    [
      'a blocking method with a computed name',
      body('const k = "go";\nvar o = { [k]() { http.get("/x"); } };\nfunction s_default() {}'),
      /^line 6: a method with a computed name/,
    ],
  ];
  for (const [what, code, ...patterns] of cases) {
    it(`refuses ${what}`, () => {
      refuses(code, ...patterns);
    });
  }
});

describe('transformModule: methods found by name', () => {
  it('awaits shorthand and renamed properties, class fields, private methods and assigned methods', async () => {
    const trace = await run(`${HEAD}
function login() { return http.post("/login"); }
const visit = (u) => http.get(u);
var api = { login, browse: visit };
var Client = class {
  fetch = (u) => this.#send(u);
  #send(u) { return http.get("/private" + u); }
  static make() { return new Client(); }
};
function Legacy() { this.ping = function () { return http.head("/ping"); }; }
Legacy.prototype.load = function (u) { return http.get("/legacy" + u); };
function s_default() {
  api.login();
  mark(api.browse("/b").url);
  mark(Client.make().fetch("/f").url);
  const legacy = new Legacy();
  legacy.ping();
  legacy.load("/l");
  check(http.get("/c"), { ok: (r) => r.status === 200 });
}
export { s_default as default };`);
    assert.deepEqual(trace, [
      'POST /login',
      'GET /b',
      'mark /b',
      'GET /private/f',
      'mark /private/f',
      'HEAD /ping',
      'GET /legacy/l',
      'GET /c',
      'check ok true',
    ]);
  });

  it('awaits calls written (0, f)() and http[method]()', async () => {
    const trace = await run(`${HEAD}
var lib = { go(u) { return http.get(u); } };
function s_default() {
  (0, lib.go)("/seq");
  for (const method of ["get", "del"]) http[method]("/" + method);
}
export { s_default as default };`);
    assert.deepEqual(trace, ['GET /seq', 'GET /get', 'DELETE /del']);
  });

  it('makes async only the functions that block', () => {
    const { source, madeAsync } = transform(`${HEAD}
function pure(x) { return x * 2; }
function step() { http.get("/s"); }
function s_default() { check(pure(1), { two: (v) => v === 2 }); step(); }
export { s_default as default };`);
    assert.equal(madeAsync, 2);
    assert.match(source, /^function pure\(x\)/m);
    assert.match(source, /\(v\) => v === 2/);
    assert.match(source, /^async function step\(\)/m);
    assert.match(source, /\(await step\(\)\)/);
  });

  it('keeps every line where it was, so stack frames map back', () => {
    const code = `${HEAD}
function s_default() {
  http.get("/a");
  throw new Error("here");
}
export { s_default as default };`;
    const { source } = transform(code);
    const lines = source.split('\n');
    assert.match(lines[5] ?? '', /__vu\.settle\(http\.get\("\/a"\)\)/);
    assert.match(lines[6] ?? '', /throw new Error/);
  });
});

describe('transformModule: on esbuild bundles', () => {
  /** Bundles files as `loadline run` does (trace stays an import, like k6's modules). */
  async function bundled(files: Record<string, string>, run: (code: string) => Promise<void>) {
    const dir = await mkdtemp(join(tmpdir(), 'transform-'));
    try {
      for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
      const entry = join(dir, 'script.js');
      const { code } = await bundleScript(entry, dir);
      await run(code);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('runs a script whose helpers and class come from an ES module and a CommonJS file', async () => {
    await bundled(
      {
        'lib.js': `import http from 'k6/http';
export class Client { constructor(base) { this.base = base; } get(p) { return http.get(this.base + p); } }
export const login = () => http.post('/login');`,
        'legacy.cjs': `const http = require('k6/http');
const { sleep } = require('k6');
exports.pause = function (s) { sleep(s); };
exports.fetch = function (u) { return http.get(u); };`,
        'script.js': `import { Client, login } from './lib.js';
import { pause, fetch } from './legacy.cjs';
import { group } from 'k6';
const client = new Client('/api');
export default function () {
  login();
  group('g', () => { client.get('/me'); pause(1); });
  fetch('/cjs');
}`,
      },
      async (code) => {
        const trace = await runSource(transform(code).source, transform(code).exports);
        assert.deepEqual(trace, [
          'POST /login',
          'group g {',
          'GET /api/me',
          'sleep 1',
          '} g',
          'GET /cjs',
        ]);
      },
    );
  });

  it('names the line of a refused pattern in the bundle', async () => {
    await bundled(
      {
        'script.js': `import http from 'k6/http';
export default function () {
  ['/a', '/b'].forEach((u) => http.get(u));
}`,
      },
      async (code) => {
        const problems = refuses(code, /passed to ….forEach/);
        assert.equal(problems.length, 1);
      },
    );
  });
});

describe('transformModule: messages', () => {
  it('says why a callback blocks when a method of the same name does', () => {
    refuses(
      `${HEAD}
var Api = class { get(p) { return http.get(p); } };
function s_default() {
  const seen = new Map();
  ["/a"].forEach((u) => seen.get(u));
}
export { s_default as default };`,
      /^line 8: a function that makes requests or sleeps \(it calls seen\.get\(\), and Loadline finds methods by name: a method named get makes requests or sleeps; if this is another get, rename that method\) is passed as a value \(passed to …\.forEach\)/,
    );
  });

  it('keeps lines under an import or export written over several lines', () => {
    const code = `import {
  sleep,
  group
} from "k6";
function s_default() {
  sleep(1);
}
export {
  s_default as default
};`;
    const { source } = transform(code);
    assert.match(source.split('\n')[5] ?? '', /__vu\.settle\(sleep\(1\)\)/);
  });
});
