// The embedded database's files on disk: environment keys and, in the WAL, rows in the
// clear. Nothing under the data directory may be readable or writable by anyone else.
import assert from 'node:assert/strict';
import { chmod, lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MetadataStore } from './store.js';

/** Paths under `dir` (and `dir`) with any group or other permission bit, with their mode. */
async function shared(dir: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (path: string) => {
    const stat = await lstat(path);
    if (stat.mode & 0o077) found.push(`${path} ${(stat.mode & 0o777).toString(8)}`);
    if (stat.isDirectory()) for (const name of await readdir(path)) await visit(join(path, name));
  };
  await visit(dir);
  return found;
}

const root = await mkdtemp(join(tmpdir(), 'loadline-pgdata-'));
after(() => rm(root, { recursive: true, force: true }));

describe('the embedded database (PGlite) on disk', () => {
  it('keeps its directory 0700 and its files without group or other permissions', async () => {
    // Whatever the process's umask says (control sets 077; this test runner does not).
    const umask = process.umask(0o022);
    try {
      const dataDir = join(root, 'pg');
      const store = await MetadataStore.open({ dataDir });
      await store.migrate();
      await store.upsertEnvironment({
        name: 'staging',
        baseUrls: {},
        allowedHosts: ['127.0.0.1'],
        requiresShadow: false,
      });
      assert.equal((await lstat(dataDir)).mode & 0o777, 0o700);
      assert.deepEqual(await shared(dataDir), [], 'while open');
      await store.close();
      assert.deepEqual(await shared(dataDir), [], 'after close');
    } finally {
      process.umask(umask);
    }
  });

  it('takes the permissions back from a data directory made world-readable before', async () => {
    const dataDir = join(root, 'old');
    const first = await MetadataStore.open({ dataDir });
    await first.close();
    await chmod(dataDir, 0o777);
    await mkdir(join(dataDir, 'stray'), { mode: 0o777 });
    await writeFile(join(dataDir, 'stray', 'file'), 'x', { mode: 0o666 });
    await chmod(join(dataDir, 'stray', 'file'), 0o666);
    const again = await MetadataStore.open({ dataDir });
    try {
      assert.deepEqual(await shared(dataDir), []);
    } finally {
      await again.close();
    }
  });
});
