import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeShadowBaggage, readShadowBaggage, removeShadowBaggage } from './baggage.js';
import { shadowHeaders, signShadowTag, verifyShadowTag } from './tag.js';

const secret = 'test-secret-0123456789';
const now = 1_800_000_000;

describe('shadow tag', () => {
  const tag = signShadowTag({ runId: 'run_42', expiresAt: now + 60, secret });

  it('round-trips run id and expiry', () => {
    assert.match(tag, /^run_42\.1800000060\.[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(verifyShadowTag(tag, secret, now), {
      ok: true,
      runId: 'run_42',
      expiresAt: now + 60,
    });
  });

  it('rejects a bare run id, junk and non-canonical signatures as malformed', () => {
    for (const bad of ['run_42', '', 'a.b.c', `run_42.${now + 60}`, `${tag}.x`, `${tag}=`]) {
      assert.deepEqual(verifyShadowTag(bad, secret, now), { ok: false, reason: 'malformed' }, bad);
    }
  });

  it('rejects another secret, a tampered run id or expiry as bad-signature', () => {
    const sig = tag.split('.')[2];
    assert.deepEqual(verifyShadowTag(tag, 'other-secret-0123456', now), {
      ok: false,
      reason: 'bad-signature',
    });
    assert.equal(verifyShadowTag(`run_43.${now + 60}.${sig}`, secret, now).ok, false);
    assert.deepEqual(verifyShadowTag(`run_42.${now + 999}.${sig}`, secret, now), {
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('expires at the expiry second, not after', () => {
    assert.equal(verifyShadowTag(tag, secret, now + 59).ok, true);
    assert.deepEqual(verifyShadowTag(tag, secret, now + 60), { ok: false, reason: 'expired' });
  });

  it('refuses to sign run ids that cannot travel in the tag', () => {
    assert.throws(() => signShadowTag({ runId: 'a.b', expiresAt: now, secret }), TypeError);
    assert.throws(() => signShadowTag({ runId: 'a,b', expiresAt: now, secret }), TypeError);
  });

  it('gives agents both carriers', () => {
    assert.deepEqual(shadowHeaders(tag), {
      'x-loadline-shadow': tag,
      baggage: `loadline-shadow=${tag}`,
    });
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
