import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cronProblems, isTimeZone } from './cron.js';

describe('cronProblems', () => {
  it('accepts the expressions BullMQ repeatable jobs take', () => {
    for (const ok of [
      '0 3 * * *',
      '*/15 * * * *',
      '0 9-18/2 * * MON-FRI',
      '30 0 1,15 * *',
      '0 0 L * ?',
      '0 12 * JAN,jul 5L',
      '0 12 * * 1#2',
      '0 0 29 2 *',
      '0 0 31 1-2 *',
      '0 0 31 2 MON',
      '@daily',
      '  0 3 * * 7  ',
    ]) {
      assert.deepEqual(cronProblems(ok), [], ok);
    }
  });

  it('names every bad field', () => {
    assert.match(cronProblems('0 3 * *')[0]!, /expected 5 fields .* got 4/);
    assert.deepEqual(cronProblems('60 24 0 13 8'), [
      'minute: "60" is not a minute (0-59)',
      'hour: "24" is not a hour (0-23)',
      'day of month: "0" is not a day of month (1-31)',
      'month: "13" is not a month (1-12)',
      'day of week: "8" is not a day of week (0-7)',
    ]);
    assert.deepEqual(cronProblems('5-1 * * * *'), ['minute: range "5-1" runs backwards']);
    assert.deepEqual(cronProblems('*/0 * * * *'), ['minute: step "/0" is not a positive number']);
    assert.deepEqual(cronProblems('1,,2 * * * *'), ['minute: empty item in "1,,2"']);
    assert.deepEqual(cronProblems('L * * * *'), ['minute: "L" is not a minute (0-59)']);
    assert.equal(cronProblems('@sometimes').length, 1);
  });

  it('refuses a seconds field and a date that never comes', () => {
    assert.match(cronProblems('*/10 * * * * *')[0]!, /seconds field is not allowed/);
    assert.match(cronProblems('0 0 31 2 *')[0]!, /never falls in month 2: .* never fire/);
    assert.match(cronProblems('0 0 30,31 FEB *')[0]!, /never fire/);
    assert.match(cronProblems('0 0 31 4,6,9,11 *')[0]!, /never fire/);
  });
});

describe('isTimeZone', () => {
  it('knows IANA zones and nothing else', () => {
    assert.equal(isTimeZone('UTC'), true);
    assert.equal(isTimeZone('Asia/Shanghai'), true);
    assert.equal(isTimeZone('Mars/Olympus_Mons'), false);
    assert.equal(isTimeZone(''), false);
  });
});
