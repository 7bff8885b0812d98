import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ImportError } from './errors.js';
import { importCorpus } from './import.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const harDir = join(repoRoot, '..', 'shared', 'data', 'har');

function realHar(name: string): string | undefined {
  const path = join(harDir, name);
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}
const skipReal = (name: string) =>
  existsSync(join(harDir, name)) ? false : `real HAR ${join(harDir, name)} is absent`;

function importError(text: string, options = {}): ImportError {
  try {
    importCorpus(text, { format: 'har', source: 'trace.har', ...options });
  } catch (error) {
    if (error instanceof ImportError) return error;
    throw error;
  }
  assert.fail('expected an ImportError');
}

const entry = (url: string, extra = '') => `    {
      "pageref": "p1",
      "startedDateTime": "2024-01-01T00:00:00.000Z",
      "request": {
        "method": "GET",
        "url": ${JSON.stringify(url)},
        "headers": [{ "name": "Cookie", "value": "sessionid=abc; theme=dark" }]${extra}
      },
      "response": { "status": 200 }
    }`;

describe('HAR import, real captures (mitmproxy fixtures)', () => {
  it('chrome: status 0 is not replayed, HTTP/2 pseudo-headers are dropped', {
    skip: skipReal('mitmproxy-chrome.har'),
  }, () => {
    const { corpus } = importCorpus(realHar('mitmproxy-chrome.har')!, { source: 'chrome.har' });
    assert.equal(corpus.meta.format, 'har');
    assert.equal(corpus.requests.length, 2);
    assert.deepEqual(corpus.meta.excluded, { 'failed in the browser (status 0)': 1 });
    assert.deepEqual(
      corpus.requests.map((r) => `${r.method} ${r.host}${r.path}`),
      [
        'GET mitmproxy.org/',
        'GET www.google.com/images/branding/googlelogo/2x/googlelogo_light_color_272x92dp.png',
      ],
    );
    for (const r of corpus.requests) {
      assert.equal(r.headers.filter(([n]) => n.startsWith(':')).length, 0, 'pseudo-headers left');
      assert.equal(r.headers.filter(([n]) => /^(cookie|authorization)$/i.test(n)).length, 0);
    }
    // The capture was stitched from sessions months apart; maxGapMs makes it replayable.
    assert.ok(corpus.meta.durationMs > 30 * 86_400_000);
    const squeezed = importCorpus(realHar('mitmproxy-chrome.har')!, { maxGapMs: 1000 });
    assert.equal(squeezed.corpus.meta.durationMs, 1000);
    const all = importCorpus(realHar('mitmproxy-chrome.har')!, { includeFailed: true });
    assert.equal(all.corpus.requests.length, 3);
  });

  it('firefox: 14 GETs in 340 ms with a local time offset', {
    skip: skipReal('mitmproxy-firefox.har'),
  }, () => {
    const { corpus } = importCorpus(realHar('mitmproxy-firefox.har')!);
    assert.equal(corpus.requests.length, 14);
    assert.ok(corpus.requests.every((r) => r.method === 'GET'));
    assert.equal(corpus.meta.durationMs, 340);
    assert.equal(corpus.meta.startedAt, '2023-03-29T23:58:59.303Z');
    assert.equal(corpus.meta.sessions, 1);
  });

  it('safari: 19 GETs; response bodies (base64) are not replayed', {
    skip: skipReal('mitmproxy-safari.har'),
  }, () => {
    const { corpus } = importCorpus(realHar('mitmproxy-safari.har')!);
    assert.equal(corpus.requests.length, 19);
    assert.ok(corpus.requests.every((r) => r.body === undefined));
    assert.deepEqual(
      corpus.requests.map((r) => r.offsetMs),
      [...corpus.requests.map((r) => r.offsetMs)].sort((a, b) => a - b),
    );
  });

  it('postdata: a POST keeps its 1,310-char text body and content type', {
    skip: skipReal('mitmproxy-postdata.har'),
  }, () => {
    const { corpus } = importCorpus(realHar('mitmproxy-postdata.har')!);
    const [post] = corpus.requests;
    assert.equal(post?.method, 'POST');
    assert.equal(post?.path, '/metrics');
    assert.equal(post?.body?.length, 1310);
    assert.equal(post?.bodyEncoding, undefined);
    assert.deepEqual(
      post?.headers.find(([n]) => n === 'content-type'),
      ['content-type', 'text/plain;charset=UTF-8'],
    );
  });
});

describe('HAR import, bad files', () => {
  const good = `{\n  "log": {\n    "version": "1.2",\n    "entries": [\n${entry('https://shop.example/api/cart?x=1')},\n${entry('https://shop.example/')}\n    ]\n  }\n}\n`;

  it('a truncated HAR is a JSON error at the line:column where it ends', () => {
    const cut = good.slice(0, good.indexOf('"response"'));
    const error = importError(cut);
    const lines = cut.split('\n');
    assert.deepEqual(
      [error.issues[0]?.line, error.issues[0]?.column],
      [lines.length, lines.at(-1)!.length + 1],
    );
    assert.match(error.message, /^trace\.har:\d+:\d+: not valid JSON .*truncated/);
  });

  it('a syntax error points at its line:column', () => {
    const error = importError('{\n  "log": {\n    "entries": [}\n}');
    assert.deepEqual([error.issues[0]?.line, error.issues[0]?.column], [3, 17]);
  });

  it('an entry missing request.url names the path and the line of the entry', () => {
    const text = good.replace('"url": "https://shop.example/",', '');
    const error = importError(text);
    assert.equal(error.issues.length, 1);
    assert.equal(error.issues[0]?.path, 'log.entries[1].request.url');
    assert.match(error.issues[0]!.message, /missing/);
    // The line where that entry's request object starts.
    const requestLine = text.split('\n').findIndex((l, i) => i > 15 && l.includes('"request"')) + 1;
    assert.equal(error.issues[0]?.line, requestLine);
  });

  it('a bad URL names log.entries[i].request.url; skipBad imports the rest', () => {
    const text = good.replace('https://shop.example/"', 'not a url"');
    assert.equal(importError(text).issues[0]?.path, 'log.entries[1].request.url');
    const { corpus, summary } = importCorpus(text, { skipBad: true });
    assert.equal(corpus.requests.length, 1);
    assert.equal(summary.skipped, 1);
    assert.match(
      summary.errors[0]!.message,
      /^log\.entries\[1\]\.request\.url: not an absolute URL/,
    );
  });

  it('JSON without log.entries is not a HAR', () => {
    assert.match(
      importError('{"foo": 1}').message,
      /trace\.har:1:1: log: required object is missing; not a HAR/,
    );
  });

  it('session from the session cookie (digested), form params become a body', () => {
    const form = `,\n        "postData": { "mimeType": "application/x-www-form-urlencoded", "params": [{ "name": "q", "value": "a b" }] }`;
    const text = good.replace(
      entry('https://shop.example/'),
      entry('https://shop.example/search', form).replace('"GET"', '"POST"'),
    );
    const { corpus } = importCorpus(text);
    assert.equal(corpus.requests[1]?.body, 'q=a+b');
    assert.equal(corpus.meta.sessions, 1);
    assert.match(corpus.requests[0]!.sessionKey, /^cookie:[0-9a-f]{16}$/);
    assert.ok(!JSON.stringify(corpus).includes('abc'), 'the cookie value leaked into the corpus');
  });
});
