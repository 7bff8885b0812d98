/**
 * A k6 script readied for the fleet on the machine that launches it: bundled, its init run
 * once to read its options and the files open() reads (agents read no files of their own),
 * its options and thresholds checked before anything is sent. The same VU later runs the
 * script's handleSummary on the summary control merged from every agent.
 */
import type { K6RunResult } from './run.js';
import { type PreparedScript, prepareScript, writeSummary } from './run.js';
import type { SummaryData } from './summary.js';

/** The script as a scenario's `k6` carries it (see the scenario schema's K6Script). */
export interface ShippedScript {
  entry: string;
  code: string;
  map: string;
  /** base64, by the path the script gave open() */
  files: Record<string, string>;
  /** what the script exports as `options`, as JSON */
  options: Record<string, unknown>;
}

export interface InspectedScript {
  shipped: ShippedScript;
  /** the options as the fleet will run them (for what the CLI prints) */
  prepared: PreparedScript;
  /** handleSummary (or the text summary) on the merged summary, here */
  writeSummary(
    summary: SummaryData,
    out: {
      summaryExport?: string;
      write(stream: 'stdout' | 'stderr', text: string): void;
      log(level: 'error', message: string): void;
    },
  ): Promise<void>;
  close(): Promise<void>;
}

export async function inspectK6Script(
  options: Parameters<typeof prepareScript>[0],
): Promise<InspectedScript | K6RunResult> {
  const prepared = await prepareScript(options);
  if ('exitCode' in prepared) return prepared;
  const { compiled, runtime, pool, exports } = prepared;
  const { bundle } = compiled;
  const files: Record<string, string> = {};
  for (const [path, bytes] of runtime.opened) files[path] = bytes.toString('base64');
  return {
    shipped: {
      entry: options.entry,
      code: bundle.code,
      map: bundle.map,
      files,
      options: JSON.parse(JSON.stringify(exports.options ?? {})),
    },
    prepared,
    writeSummary: (summary, out) =>
      writeSummary(exports.handleSummary, summary, {
        ...(out.summaryExport ? { summaryExport: out.summaryExport } : {}),
        write: out.write,
        log: out.log,
      }),
    close: async () => {
      await Promise.all(pool.all.map((vu) => vu.close()));
    },
  };
}
