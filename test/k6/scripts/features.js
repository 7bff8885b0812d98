// http features: forms, cookies, redirects, basic auth, batch, gzip, html, submitForm,
// SharedArray with open(), encoding and crypto, exec, handleSummary.
import { check, fail, group } from 'k6';
import crypto from 'k6/crypto';
import { SharedArray } from 'k6/data';
import encoding from 'k6/encoding';
import exec from 'k6/execution';
import http from 'k6/http';

const users = new SharedArray('users', () => JSON.parse(open('./users.json')));
const BASE = 'http://httpbin.test.k6.io';

export const options = {
  scenarios: { once: { executor: 'per-vu-iterations', vus: 2, iterations: 1 } },
  thresholds: { checks: ['rate==1'] },
};

function expect(res, name, predicate) {
  if (!check(res, { [name]: predicate }))
    console.error(`${name} failed: ${res.status} ${String(res.body).slice(0, 200)}`);
}

export default function () {
  const user = users[exec.vu.idInTest % users.length];
  group('forms', () => {
    const res = http.post(`${BASE}/post`, { name: user.name, tags: ['a', 'b'] });
    expect(res, 'form fields', (r) => r.json('form.name') === user.name);
    const file = http.post(`${BASE}/post`, {
      upload: http.file('hello file', 'hello.txt', 'text/plain'),
      note: 'x',
    });
    expect(
      file,
      'multipart file',
      (r) => r.json('files.upload') === 'hello file' && r.json('form.note') === 'x',
    );
  });
  group('cookies and redirects', () => {
    const set = http.get(`${BASE}/cookies/set?flavour=${user.name}`);
    expect(
      set,
      'cookie followed the redirect',
      (r) => r.status === 200 && r.json('cookies.flavour') === user.name,
    );
    const jar = http.cookieJar();
    expect(set, 'cookie in the jar', () => jar.cookiesForURL(BASE).flavour[0] === user.name);
    const sent = http.get(`${BASE}/cookies`, { cookies: { extra: 'yes' } });
    expect(sent, 'request cookie sent', (r) => r.json('cookies.extra') === 'yes');
    const hops = http.get(`${BASE}/redirect/3`);
    expect(hops, 'three redirects followed', (r) => r.status === 200 && r.url.endsWith('/get'));
    const stopped = http.get(`${BASE}/redirect/3`, { redirects: 1 });
    expect(stopped, 'redirects limited', (r) => r.status === 302);
  });
  group('auth, batch, gzip, html', () => {
    const auth = http.get(`http://alice:s3cret@httpbin.test.k6.io/basic-auth/alice/s3cret`);
    expect(auth, 'basic auth', (r) => r.status === 200 && r.json('authenticated') === true);
    const denied = http.get(`http://alice:wrong@httpbin.test.k6.io/basic-auth/alice/s3cret`, {
      responseCallback: http.expectedStatuses(401),
    });
    expect(denied, 'wrong password refused', (r) => r.status === 401);
    const [a, b] = http.batch([
      ['GET', `${BASE}/get?b=1`],
      { method: 'POST', url: `${BASE}/post`, body: 'raw' },
    ]);
    expect(a, 'batch get', (r) => r.json('args.b') === '1');
    expect(b, 'batch post', (r) => r.json('data') === 'raw');
    const gz = http.get(`${BASE}/gzip`);
    expect(gz, 'gzip decoded', (r) => r.json('gzipped') === true);
    const page = http.get(`${BASE}/forms/post`);
    expect(page, 'html parsed', (r) => r.html('form').length === 1);
    const submitted = page.submitForm({ fields: { custname: user.name } });
    expect(submitted, 'form submitted', (r) => r.json('form.custname') === user.name);
    const binary = http.get(`${BASE}/bytes/16`, { responseType: 'binary' });
    expect(binary, 'binary body', (r) => r.body.byteLength === 16);
  });
  group('encoding and crypto', () => {
    if (encoding.b64encode('hello') !== 'aGVsbG8=') fail('b64encode');
    if (encoding.b64decode('aGVsbG8=', 'std', 's') !== 'hello') fail('b64decode');
    if (
      crypto.sha256('hello', 'hex') !==
      '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'
    )
      fail('sha256');
    if (
      crypto.hmac('sha256', 'key', 'data', 'hex') !==
      '5031fe3d989c6d1537a013fa6e739da23463fdaec3b70137d828e36ace221bd0'
    )
      fail('hmac');
    check(null, { 'encoding and crypto': () => true });
  });
}

export function handleSummary(data) {
  return {
    [__ENV.SUMMARY_FILE]: JSON.stringify({
      checks: data.metrics.checks.values,
      groups: data.root_group.groups.map((g) => g.name),
      reqs: data.metrics.http_reqs.values.count,
    }),
    stdout: 'custom summary\n',
  };
}
