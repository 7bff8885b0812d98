import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { InvalidInputError, type MetadataStore, UnknownCorpusError } from './index.js';
import { backends, type TestDatabase, unique } from './test-backends.js';

const corpus = (requests: number) => ({
  meta: { version: 1, requests, durationMs: requests * 100 },
  mix: { total: requests, entries: [{ method: 'GET', template: '/api/products/{id}' }] },
  requests: Array.from({ length: requests }, (_, i) => JSON.stringify({ path: `/p/${i}` })),
  requestCount: requests,
  durationMs: requests * 100,
});

for (const backend of await backends()) {
  describe(`corpora on ${backend.name}`, { skip: backend.skip }, () => {
    let db: TestDatabase;
    let store: MetadataStore;
    before(async () => {
      db = await backend.create();
      store = db.store;
    });
    after(() => db?.drop());

    it('stores versions, lists the latest, returns requests only when asked', async () => {
      const name = unique('mall');
      const first = await store.saveCorpusVersion({ name, ...corpus(3) });
      const second = await store.saveCorpusVersion({ name, ...corpus(5), createdBy: 'cli' });
      assert.deepEqual([first.version, second.version], [1, 2]);
      const listed = (await store.listCorpora()).find((c) => c.name === name);
      assert.equal(listed?.latestVersion, 2);
      assert.equal(listed?.requestCount, 5);
      assert.equal(listed?.durationMs, 500);
      assert.equal(listed?.createdBy, 'cli');
      const latest = await store.getCorpus(name);
      assert.equal(latest.version, 2);
      assert.equal(latest.requests, undefined, 'the request list stays behind unless asked');
      const old = await store.getCorpus(name, { version: 1, requests: true });
      assert.equal(JSON.parse(old.requests ?? '[]').length, 3);
      assert.deepEqual(old.mix, corpus(3).mix);
    });

    it('keeps a big corpus in compressed chunks and reads it back whole, in order', async () => {
      const name = unique('big');
      const big = corpus(4_500);
      await store.saveCorpusVersion({ name, ...big });
      const chunks = (
        (await store.db.execute(
          sql`select c.chunk, c.request_count as count, octet_length(c.requests_gz) as bytes
              from corpus_request_chunks c join corpora k on k.id = c.corpus_id
              where k.name = ${name} order by c.chunk`,
        )) as unknown as { rows: Array<{ chunk: number; count: number; bytes: number }> }
      ).rows;
      assert.deepEqual(
        chunks.map((c) => [c.chunk, c.count]),
        [
          [0, 2000],
          [1, 2000],
          [2, 500],
        ],
      );
      const text = big.requests.join(',').length;
      const stored = chunks.reduce((sum, c) => sum + Number(c.bytes), 0);
      assert.ok(stored < text / 4, `${stored} bytes stored for ${text} of text`);
      const back = await store.getCorpus(name, { requests: true });
      assert.deepEqual(
        JSON.parse(back.requests ?? ''),
        big.requests.map((r) => JSON.parse(r)),
      );
      // A count that disagrees with the requests is refused, nothing stored.
      await assert.rejects(
        store.saveCorpusVersion({ name, ...corpus(2), requestCount: 3 }),
        /requestCount: says 3 but 2 requests came/,
      );
      assert.equal((await store.getCorpus(name)).version, 1);
    });

    it('reads a version stored before chunks from its text', async () => {
      const name = unique('old');
      await store.saveCorpusVersion({ name, ...corpus(2) });
      await store.db.execute(
        sql`update corpus_versions set requests = '[{"path":"/old"}]'
            where corpus_id = (select id from corpora where name = ${name})`,
      );
      await store.db.execute(
        sql`delete from corpus_request_chunks
            where corpus_id = (select id from corpora where name = ${name})`,
      );
      const old = await store.getCorpus(name, { requests: true });
      assert.deepEqual(JSON.parse(old.requests ?? ''), [{ path: '/old' }]);
    });

    it('names what is missing and refuses bad input without storing it', async () => {
      await assert.rejects(store.getCorpus(unique('none')), UnknownCorpusError);
      const name = unique('c');
      await store.saveCorpusVersion({ name, ...corpus(1) });
      await assert.rejects(store.getCorpus(name, { version: 9 }), /no version 9/);
      await assert.rejects(
        store.saveCorpusVersion({ name: 'has space', ...corpus(1) }),
        (error: unknown) =>
          error instanceof InvalidInputError && error.issues.some((i) => i.path === 'name'),
      );
      assert.equal((await store.listCorpora()).filter((c) => c.name === 'has space').length, 0);
    });
  });
}
