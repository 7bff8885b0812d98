import { stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from './exit-codes.js';

/**
 * Checks, before any work, that `--out FILE` can be written: its directory exists and FILE
 * is not itself a directory. A missing directory is the user's to create, not ours.
 */
export async function checkOutFile(path: string, flag = '--out'): Promise<void> {
  const directory = dirname(resolve(path));
  const dir = await stat(directory).catch(() => undefined);
  if (!dir) throw new UsageError(flag, `cannot write ${path}: there is no directory ${directory}`);
  if (!dir.isDirectory()) {
    throw new UsageError(flag, `cannot write ${path}: ${directory} is not a directory`);
  }
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory())
    throw new UsageError(flag, `cannot write ${path}: it is a directory`);
}

/** Writes `--out FILE`; a file that cannot be written is a usage error naming it. */
export async function writeOutFile(
  path: string,
  data: string | Uint8Array,
  flag = '--out',
): Promise<void> {
  await checkOutFile(path, flag);
  try {
    await writeFile(path, data);
  } catch (error) {
    throw new UsageError(flag, `cannot write ${path} (${(error as NodeJS.ErrnoException).code})`);
  }
}
