// Feeder rows read in the browser: the scenario names CSV files (feeders.users.file), the
// control API stores the rows with the version (agents have no access to the author's
// disk). The same parser and header rules as the CLI's, so a file means the same thing
// whichever way it is saved.
import { parse } from 'csv-parse/browser/esm/sync';

export type FeederRows = Array<Record<string, string>>;

export type ParsedFeeder = { ok: true; rows: FeederRows } | { ok: false; message: string };

export function parseFeederCsv(text: string, fileName: string): ParsedFeeder {
  try {
    const rows = parse(text, {
      columns: true,
      skip_empty_lines: true,
      trim: true,
      bom: true,
    }) as FeederRows;
    if (rows.length === 0)
      return { ok: false, message: `${fileName}: no data rows under the header` };
    return { ok: true, rows };
  } catch (error) {
    const e = error as { lines?: number; message?: string };
    return {
      ok: false,
      message: `${fileName}${e.lines ? `:${e.lines}` : ''}: ${e.message ?? String(error)}`,
    };
  }
}

/** The feeders a scenario source defines, with the file each names (for the upload form). */
export function feedersOf(scenario: unknown): Array<{ name: string; file: string }> {
  const feeders = (scenario as { feeders?: Record<string, { file?: string }> } | undefined)
    ?.feeders;
  return Object.entries(feeders ?? {}).map(([name, f]) => ({ name, file: f.file ?? '' }));
}
