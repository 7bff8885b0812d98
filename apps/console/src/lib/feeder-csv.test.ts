import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { feedersOf, parseFeederCsv } from './feeder-csv';

describe('parseFeederCsv', () => {
  it('reads rows by header, trimmed, BOM and blank lines ignored', () => {
    const parsed = parseFeederCsv('\uFEFFuser, password\nalice, a1\n\nbob,b2\n', 'users.csv');
    assert.deepEqual(parsed, {
      ok: true,
      rows: [
        { user: 'alice', password: 'a1' },
        { user: 'bob', password: 'b2' },
      ],
    });
  });

  it('says where a row is broken', () => {
    const parsed = parseFeederCsv('user,password\nalice,a1\nbob\n', 'users.csv');
    assert.equal(parsed.ok, false);
    assert.match((parsed as { message: string }).message, /^users\.csv:3: /);
  });

  it('refuses a header without rows', () => {
    assert.deepEqual(parseFeederCsv('user,password\n', 'u.csv'), {
      ok: false,
      message: 'u.csv: no data rows under the header',
    });
  });

  it('lists the feeders a scenario defines', () => {
    assert.deepEqual(feedersOf({ feeders: { users: { file: 'data/users.csv' } } }), [
      { name: 'users', file: 'data/users.csv' },
    ]);
    assert.deepEqual(feedersOf({}), []);
  });
});
