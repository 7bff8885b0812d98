import { readFile } from 'node:fs/promises';
import { UsageError } from './exit-codes.js';

/** Reads a file the user named; a file that cannot be read is a usage error on `flag`. */
export async function readText(file: string, flag?: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(flag, `cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
  }
}
