import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DataDirInUseError, lockDataDir } from './data-dir-lock.js';

describe('data directory lock', () => {
  it('is taken once, refused to a second holder while the first lives, and released', () => {
    const dir = mkdtempSync(join(tmpdir(), 'loadline-lock-'));
    const release = lockDataDir(dir);
    // Another live process holds it: our parent stands in for one.
    writeFileSync(join(dir, 'control.lock'), `${process.ppid}\n`);
    assert.throws(() => lockDataDir(dir), DataDirInUseError);
    writeFileSync(join(dir, 'control.lock'), `${process.pid}\n`);
    release();
    assert.equal(existsSync(join(dir, 'control.lock')), false);
  });

  it('takes over a lock whose process is gone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'loadline-lock-'));
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    writeFileSync(join(dir, 'control.lock'), `${gone.stdout}\n`);
    const release = lockDataDir(dir);
    release();
  });
});
