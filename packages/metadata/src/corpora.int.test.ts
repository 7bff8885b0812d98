import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvalidInputError, type MetadataStore, UnknownCorpusError } from './index.js';
import { backends, type TestDatabase, unique } from './test-backends.js';

const corpus = (requests: number) => ({
  meta: { version: 1, requests, durationMs: requests * 100 },
  mix: { total: requests, entries: [{ method: 'GET', template: '/api/products/{id}' }] },
  requests: JSON.stringify(Array.from({ length: requests }, (_, i) => ({ path: `/p/${i}` }))),
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
