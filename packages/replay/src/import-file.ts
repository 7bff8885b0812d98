import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { type ImportOptions, type ImportResult, importCorpus } from './import.js';

/** A capture read whole into memory (a HAR, or one to store in control); bigger is refused. */
export const MAX_IN_MEMORY_CAPTURE_BYTES = 256 * 1024 * 1024;

/** The capture is too big to be read the way it must be: the message says what to do. */
export class CaptureTooLargeError extends Error {
  constructor(
    readonly source: string,
    readonly size: number,
    readonly limit: number,
    hint: string,
  ) {
    const mb = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MB`;
    super(`${source} is ${mb(size)}, over the ${mb(limit)} ${hint}`);
    this.name = 'CaptureTooLargeError';
  }
}

/**
 * Reads a capture file whole and imports it in memory. Read as bytes: a .gor body may be
 * binary, and the text formats are decoded as UTF-8 by the importer. Read errors (ENOENT…)
 * propagate as is; a file over MAX_IN_MEMORY_CAPTURE_BYTES is a CaptureTooLargeError
 * (`importFileStreaming` reads logs and .gor files of any size).
 */
export async function importFile(
  path: string,
  options: ImportOptions = {},
  tooLargeHint = 'that is read whole into memory; import it to a file with importFileStreaming',
): Promise<ImportResult> {
  const { size } = await stat(path);
  if (size > MAX_IN_MEMORY_CAPTURE_BYTES) {
    throw new CaptureTooLargeError(
      options.source ?? basename(path),
      size,
      MAX_IN_MEMORY_CAPTURE_BYTES,
      tooLargeHint,
    );
  }
  const bytes = await readFile(path);
  return importCorpus(bytes, { source: basename(path), ...options });
}
