import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it('reads k6/Go style durations', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('10s'), 10_000);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('45'), 45_000);
  });

  it('rejects what is not a duration', () => {
    for (const bad of ['', '10 parsecs', 's', '10x', '1m 30s', '-5s', '10sms']) {
      assert.equal(parseDuration(bad), undefined, bad);
    }
  });

  it('formats durations for people', () => {
    assert.equal(formatDuration(250), '250ms');
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(3_600_000), '1h');
  });
});
