/**
 * `loadline export k6 FILE [--out script.js]`: writes the scenario as a k6 script of the same
 * model. What k6 cannot express is reported like a validation problem (file:line:column
 * path: message) and nothing is written; what maps only approximately is a warning.
 */
import { dirname, relative, resolve, sep } from 'node:path';
import { exportK6, type K6Export, K6ExportError } from '@loadline/k6';
import { formatError, parseScenario, type Scenario } from '@loadline/scenario';
import { ExitCode, UsageError } from '../exit-codes.js';
import { checkFeederFiles, feederFilesOf } from '../feeder-files.js';
import { checkOutFile, writeOutFile } from '../out-file.js';
import { readScenarioText } from '../read-text.js';

export interface ExportK6Options {
  out?: string;
  json?: boolean;
  /** folders feeder files may also be read from (`--allow-path`, repeatable) */
  allowPath?: string[];
}

/** `checkout.yaml` → `checkout.k6.js`, beside it. */
export function defaultOut(file: string): string {
  return `${file.replace(/\.(ya?ml|json)$/i, '')}.k6.js`;
}

/** Each feeder's file as seen from the script's folder (k6's open() reads relative to it). */
function feederPaths(scenario: Scenario, file: string, out: string): Record<string, string> {
  const from = dirname(resolve(out));
  return Object.fromEntries(
    Object.entries(scenario.feeders).map(([name, feeder]) => {
      const path = relative(from, resolve(dirname(resolve(file)), feeder.file))
        .split(sep)
        .join('/');
      return [name, path.startsWith('../') ? path : `./${path}`];
    }),
  );
}

export async function runExportK6(
  file: string,
  options: ExportK6Options,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  const out = options.out ?? defaultOut(file);
  if (resolve(out) === resolve(file)) {
    throw new UsageError('--out', `${out} is the scenario itself; name another file`);
  }
  await checkOutFile(out);
  const text = await readScenarioText(file);
  const checkFeeders = checkFeederFiles(feederFilesOf(file, options.allowPath));
  let exported: K6Export | undefined;
  // Refusals are found after the schema's checks and reported the same way, at their paths.
  const parsed = parseScenario(text, {
    check: (scenario) => {
      const problems = checkFeeders(scenario);
      if (problems.length > 0) return problems;
      try {
        exported = exportK6(scenario, {
          source: file,
          feederPaths: feederPaths(scenario, file, out),
        });
        return [];
      } catch (error) {
        if (error instanceof K6ExportError) return error.problems;
        throw error;
      }
    },
  });
  if (!parsed.ok || exported === undefined) {
    const errors = parsed.ok ? [] : parsed.errors;
    for (const error of errors) io.stderr.write(`${formatError(error, file)}\n`);
    throw new UsageError(
      undefined,
      `${file}: ${parsed.ok ? 0 : parsed.problems} problem(s); no k6 script was written`,
    );
  }
  await writeOutFile(out, exported.script);
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ out, warnings: exported.warnings })}\n`);
  } else {
    io.stdout.write(
      `${out}: k6 script of "${parsed.scenario.name}" (${parsed.scenario.flows.length} flow(s))\n`,
    );
    for (const warning of exported.warnings) io.stderr.write(`warning: ${warning}\n`);
  }
  return ExitCode.passed;
}
