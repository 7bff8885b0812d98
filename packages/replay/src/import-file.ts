import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { type ImportOptions, type ImportResult, importCorpus } from './import.js';

/**
 * Reads a capture file and imports it. Read as bytes: a .gor body may be binary, and the
 * text formats are decoded as UTF-8 by the importer. Read errors (ENOENT…) propagate as is.
 */
export async function importFile(path: string, options: ImportOptions = {}): Promise<ImportResult> {
  const bytes = await readFile(path);
  return importCorpus(bytes, { source: basename(path), ...options });
}
