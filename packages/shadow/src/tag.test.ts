import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { hostAuthorities, targetAuthority } from './authority.js';
import { mergeShadowBaggage, readShadowBaggage, removeShadowBaggage } from './baggage.js';
import {
  authorityBinding,
  describeTag,
  shadowHeaders,
  signShadowTag,
  tagBoundToHost,
  verifyShadowTag,
} from './tag.js';

const secret = 'test-secret-0123456789';
const now = 1_800_000_000;
const target = 'http://Shop.Example:8080/api';
const bind = createHash('sha256').update('shop.example:8080').digest('base64url').slice(0, 16);

describe('shadow tag', () => {
  const tag = signShadowTag({ runId: 'run_42', expiresAt: now + 60, secret, target });
  const [, , , sig] = tag.split('.') as [string, string, string, string];

  it("round-trips run id, expiry and the target's binding", () => {
    assert.equal(tag, `run_42.1800000060.${bind}.${sig}`);
    assert.match(sig, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(verifyShadowTag(tag, secret, now), {
      ok: true,
      runId: 'run_42',
      expiresAt: now + 60,
      bind,
    });
  });

  it('rejects a bare run id, the old 3-part tag, junk and non-canonical signatures as malformed', () => {
    const old = `run_42.${now + 60}.${sig}`;
    const junkBind = `run_42.${now + 60}.${bind.slice(1)}.${sig}`;
    for (const bad of ['run_42', '', 'a.b.c.d', old, junkBind, `${tag}.x`, `${tag}=`]) {
      assert.deepEqual(verifyShadowTag(bad, secret, now), { ok: false, reason: 'malformed' }, bad);
    }
  });

  it('rejects another secret, a tampered run id, expiry or binding as bad-signature', () => {
    assert.deepEqual(verifyShadowTag(tag, 'other-secret-0123456', now), {
      ok: false,
      reason: 'bad-signature',
    });
    const otherBind = authorityBinding('evil.example:8080');
    for (const tampered of [
      `run_43.${now + 60}.${bind}.${sig}`,
      `run_42.${now + 999}.${bind}.${sig}`,
      `run_42.${now + 60}.${otherBind}.${sig}`,
    ]) {
      assert.deepEqual(
        verifyShadowTag(tampered, secret, now),
        { ok: false, reason: 'bad-signature' },
        tampered,
      );
    }
  });

  it('expires at the expiry second, not after', () => {
    assert.equal(verifyShadowTag(tag, secret, now + 59).ok, true);
    assert.deepEqual(verifyShadowTag(tag, secret, now + 60), { ok: false, reason: 'expired' });
  });

  it('refuses to sign run ids that cannot travel in the tag, and targets without an authority', () => {
    assert.throws(() => signShadowTag({ runId: 'a.b', expiresAt: now, secret, target }), TypeError);
    assert.throws(() => signShadowTag({ runId: 'a,b', expiresAt: now, secret, target }), TypeError);
    for (const bad of ['ftp://host/', 'shop.example', 'http://', 'a b:80', 'host:0', 'h:99999']) {
      assert.throws(
        () => signShadowTag({ runId: 'r', expiresAt: now, secret, target: bad }),
        TypeError,
        bad,
      );
    }
  });

  it('binds a URL and its authority alike', () => {
    const viaAuthority = signShadowTag({
      runId: 'run_42',
      expiresAt: now + 60,
      secret,
      target: 'shop.example:8080',
    });
    assert.equal(viaAuthority, tag);
  });

  it('logs as run id and fingerprint, never the signature', () => {
    const described = describeTag(tag);
    assert.equal(described.runId, 'run_42');
    assert.match(described.fingerprint, /^[A-Za-z0-9_-]{12}$/);
    assert.ok(!JSON.stringify(described).includes(sig.slice(0, 8)));
    assert.notEqual(describeTag(`${tag}x`).fingerprint, described.fingerprint);
    assert.deepEqual(Object.keys(describeTag('bad\nrun.1.2.3')), ['fingerprint']);
    assert.equal(describeTag('run-42').runId, 'run-42');
  });

  it('gives agents both carriers', () => {
    assert.deepEqual(shadowHeaders(tag), {
      'x-loadline-shadow': tag,
      baggage: `loadline-shadow=${tag}`,
    });
  });
});

describe('authorities', () => {
  it('makes a target canonical: lower case, explicit default port, IPv6 in brackets', () => {
    assert.equal(targetAuthority('http://Shop.Example/x'), 'shop.example:80');
    assert.equal(targetAuthority('https://shop.example'), 'shop.example:443');
    assert.equal(targetAuthority('https://shop.example:443/'), 'shop.example:443');
    assert.equal(targetAuthority('http://[0:0::1]:8080'), '[::1]:8080');
    assert.equal(targetAuthority('[::1]:8080'), '[::1]:8080');
    assert.equal(targetAuthority('127.0.0.1:08080'), '127.0.0.1:8080');
  });

  it('reads a Host header: with its port, or both default ports without one', () => {
    assert.deepEqual(hostAuthorities('Shop.Example:8080'), ['shop.example:8080']);
    assert.deepEqual(hostAuthorities('shop.example'), ['shop.example:80', 'shop.example:443']);
    assert.deepEqual(hostAuthorities('[::1]:3000'), ['[::1]:3000']);
    for (const bad of [undefined, '', 'a b', 'u@host:80', 'host/x', 'host:70000', '[zz]:1']) {
      assert.deepEqual(hostAuthorities(bad), [], String(bad));
    }
  });

  it('matches a tag to the Host it was issued for, and to no other', () => {
    assert.equal(tagBoundToHost(bind, 'shop.example:8080'), true);
    assert.equal(tagBoundToHost(bind, 'SHOP.example:8080'), true);
    assert.equal(tagBoundToHost(bind, 'shop.example:8081'), false);
    assert.equal(tagBoundToHost(bind, 'evil.example:8080'), false);
    assert.equal(tagBoundToHost(bind, undefined), false);
    const https = authorityBinding(targetAuthority('https://shop.example'));
    assert.equal(tagBoundToHost(https, 'shop.example'), true);
    assert.equal(tagBoundToHost(https, 'shop.example:443'), true);
    assert.equal(tagBoundToHost(https, 'shop.example:80'), false);
  });
});

describe('baggage', () => {
  it('merges with existing members, replacing only ours', () => {
    assert.equal(mergeShadowBaggage(undefined, 't1'), 'loadline-shadow=t1');
    assert.equal(
      mergeShadowBaggage('userId=7;p=1, loadline-shadow=old ,env=x', 't2'),
      'userId=7;p=1,env=x,loadline-shadow=t2',
    );
  });

  it('reads and removes our member', () => {
    const h = 'a=1,loadline-shadow=t1;prop,b=2';
    assert.equal(readShadowBaggage(h), 't1');
    assert.equal(removeShadowBaggage(h), 'a=1,b=2');
    assert.equal(removeShadowBaggage('loadline-shadow=t1'), undefined);
    assert.equal(readShadowBaggage('a=1'), undefined);
  });

  it('makes two of our members unverifiable instead of picking one', () => {
    assert.equal(readShadowBaggage('loadline-shadow=t1,loadline-shadow=t2'), 't1,t2');
  });
});
