import { open } from 'node:fs/promises';
import { MAX_SCENARIO_BYTES } from '@loadline/scenario';
import { UsageError } from './exit-codes.js';

/** Models, forecasts, CSVs and stores files: far above any real one. */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;
/** A replay corpus file for `run --local` (one JSON document, or JSON Lines). */
export const MAX_CORPUS_BYTES = 256 * 1024 * 1024;

const megabytes = (bytes: number) => {
  const mb = bytes / (1024 * 1024);
  return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB`;
};

/**
 * Reads a file the user named, as UTF-8. A file that cannot be read, or is bigger than
 * `maxBytes`, is a usage error on `flag` naming the file (and the limit): the size is checked
 * before reading, and again while reading, for a file whose size stat cannot tell (a pipe,
 * /dev/zero).
 */
export async function readText(
  file: string,
  flag?: string,
  maxBytes = MAX_INPUT_BYTES,
): Promise<string> {
  const tooBig = (size: string) =>
    new UsageError(flag, `${file} is ${size}; the limit is ${megabytes(maxBytes)}`);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new UsageError(flag, `cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
  }
  try {
    const stat = await handle.stat();
    if (stat.isFile() && stat.size > maxBytes) throw tooBig(megabytes(stat.size));
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw tooBig(`over ${megabytes(maxBytes)}`);
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(flag, `cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
  } finally {
    await handle.close();
  }
}

/** A scenario file: at most MAX_SCENARIO_BYTES, what the scenario parser accepts. */
export function readScenarioText(file: string, flag?: string): Promise<string> {
  return readText(file, flag, MAX_SCENARIO_BYTES);
}
