import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  LEAK_SIGNATURE_HEADER,
  type SignLeakReportInput,
  signLeakReport,
  verifyLeakReport,
} from './leak-signature.js';

const secret = 'leak-secret-0123456789';
const now = 1_800_000_000;
const request: SignLeakReportInput = {
  secret,
  method: 'POST',
  path: '/runs/run_x/leaks',
  body: '{"kind":"postgres","target":"orders","service":"order","detail":"d","at":"2027-01-15T08:00:00.000Z"}',
  now,
};
const header = signLeakReport(request);
const verify = (changes: Partial<Parameters<typeof verifyLeakReport>[0]> = {}) =>
  verifyLeakReport({ ...request, header, ...changes });

describe('leak report signature', () => {
  it('is t=<seconds>,v1=<base64url HMAC over t, method, path and body>', () => {
    const expected = createHmac('sha256', secret)
      .update(`${now}\nPOST\n/runs/run_x/leaks\n${request.body}`)
      .digest('base64url');
    assert.equal(header, `t=${now},v1=${expected}`);
    assert.equal(LEAK_SIGNATURE_HEADER, 'x-loadline-signature');
  });

  it('round-trips, with the body as a string or as the bytes received', () => {
    assert.deepEqual(verify(), { ok: true, signedAt: now });
    assert.deepEqual(verify({ body: Buffer.from(request.body as string) }), {
      ok: true,
      signedAt: now,
    });
    assert.deepEqual(verify({ method: 'post' }), { ok: true, signedAt: now });
  });

  it('refuses a tampered method, path, body or timestamp, and another key', () => {
    const v1 = header.slice(header.indexOf(',v1=') + 4);
    const tampered = {
      method: verify({ method: 'PUT' }),
      path: verify({ path: '/runs/run_y/leaks' }),
      body: verify({ body: (request.body as string).replace('orders', 'orderz') }),
      'body (one more byte)': verify({ body: `${request.body} ` }),
      timestamp: verify({ header: `t=${now + 1},v1=${v1}` }),
      key: verify({ secret: 'another-secret-012345' }),
    };
    for (const [what, verdict] of Object.entries(tampered)) {
      assert.deepEqual(verdict, { ok: false, reason: 'bad-signature' }, what);
    }
  });

  it('is stale beyond the window either way, fresh at its edge', () => {
    assert.equal(verify({ now: now + 300 }).ok, true);
    assert.equal(verify({ now: now - 300 }).ok, true);
    assert.deepEqual(verify({ now: now + 301 }), { ok: false, reason: 'stale' });
    assert.deepEqual(verify({ now: now - 301 }), { ok: false, reason: 'stale' });
    assert.deepEqual(verify({ now: now + 11, windowS: 10 }), { ok: false, reason: 'stale' });
    // A report from the future: signed with a clock 10 minutes ahead.
    const ahead = signLeakReport({ ...request, now: now + 600 });
    assert.deepEqual(verify({ header: ahead }), { ok: false, reason: 'stale' });
  });

  it('checks the signature before the time: a stale forgery is a bad signature', () => {
    const forged = signLeakReport({ ...request, secret: 'not-the-key-0123456', now: 1 });
    assert.deepEqual(verify({ header: forged }), { ok: false, reason: 'bad-signature' });
  });

  it('says missing when there is no header', () => {
    assert.deepEqual(verify({ header: undefined }), { ok: false, reason: 'missing' });
    assert.deepEqual(verify({ header: '' }), { ok: false, reason: 'missing' });
  });

  it('says malformed for missing parts, junk base64, huge and repeated values', () => {
    const v1 = header.slice(header.indexOf(',v1=') + 4);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // 43 characters hold 258 bits: the last one's two spare bits must be zero.
    const spareBitSet = alphabet[alphabet.indexOf(v1.at(-1)!) + 1]!;
    const bad = {
      'no v1': `t=${now}`,
      'no t': `v1=${v1}`,
      'empty v1': `t=${now},v1=`,
      'parts swapped': `v1=${v1},t=${now}`,
      'extra part': `t=${now},v1=${v1},v2=${v1}`,
      spaces: `t=${now}, v1=${v1}`,
      'junk base64': `t=${now},v1=${'!'.repeat(43)}`,
      'standard base64': `t=${now},v1=${v1.slice(0, 42)}+`,
      'padded base64': `t=${now},v1=${v1}=`,
      'short signature': `t=${now},v1=${v1.slice(0, 42)}`,
      'non-canonical base64': `t=${now},v1=${v1.slice(0, 42)}${spareBitSet}`,
      'negative time': `t=-${now},v1=${v1}`,
      'huge time': `t=${'9'.repeat(40)},v1=${v1}`,
      'huge header': `t=${now},v1=${v1}${'A'.repeat(100_000)}`,
      'newline inside': `t=${now}\n,v1=${v1}`,
    };
    for (const [what, value] of Object.entries(bad)) {
      assert.deepEqual(verify({ header: value }), { ok: false, reason: 'malformed' }, what);
    }
    assert.deepEqual(verify({ header: [header, header] }), { ok: false, reason: 'malformed' });
  });

  it('cannot be fooled by moving a newline between method and path', () => {
    assert.deepEqual(verify({ path: '/runs/run_x/leaks\n' }), { ok: false, reason: 'malformed' });
    assert.deepEqual(verify({ method: 'POST\n/runs' }), { ok: false, reason: 'malformed' });
    assert.throws(() => signLeakReport({ ...request, path: '/a\nb' }), TypeError);
    assert.throws(() => signLeakReport({ ...request, path: 'runs/x' }), TypeError);
    assert.throws(() => signLeakReport({ ...request, secret: '' }), TypeError);
  });
});
