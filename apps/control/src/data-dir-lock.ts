// One control per data directory: embedded PGlite and chdb each assume they are alone in
// theirs, and a second process opening them (a second `loadline up` on the same .loadline)
// could write under the first. A lock file with the holder's pid is taken before anything
// is opened; a lock whose process is gone is stale and taken over.
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`${dataDir} is in use by process ${pid} (another loadline up or loadline control)`);
    this.name = 'DataDirInUseError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid in a lock file; undefined when it is not there (any more) or not yet written. */
function holderOf(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Takes the data directory's lock; returns its release. Throws DataDirInUseError. The lock
 * appears whole or not at all (written aside, then hard-linked into place, which fails when
 * it exists), so nobody ever reads a half-written one.
 */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'control.lock');
  const mine = join(dataDir, `control.lock.${process.pid}.${randomBytes(4).toString('hex')}`);
  writeFileSync(mine, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(mine, path);
        return () => {
          if (holderOf(path) === process.pid) rmSync(path, { force: true });
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = holderOf(path);
        if (holder !== undefined && holder !== process.pid && alive(holder)) {
          throw new DataDirInUseError(dataDir, holder);
        }
        // Stale (its process is gone) or ours from before: clear it and try again. A rival
        // clearing it at the same moment only makes one of us retry.
        if (holder !== undefined) rmSync(path, { force: true });
      }
    }
    throw new Error(`cannot take the lock of ${dataDir}: it keeps changing hands`);
  } finally {
    rmSync(mine, { force: true });
  }
}
