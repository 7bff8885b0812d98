import { formatError, parseScenario } from '@loadline/scenario';
import { ExitCode } from '../exit-codes.js';
import { checkFeederFiles, feederFilesOf } from '../feeder-files.js';
import { readScenarioText } from '../read-text.js';

export interface ValidateOptions {
  json?: boolean;
  /** folders feeder files may also be read from (`--allow-path`, repeatable) */
  allowPath?: string[];
}

/**
 * `loadline validate FILE`: every problem at once, with line:column, feeder files that
 * are missing or outside the allowed folders included; exit 2 if any.
 */
export async function runValidate(
  file: string,
  options: ValidateOptions,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
): Promise<number> {
  const text = await readScenarioText(file);
  const result = parseScenario(text, {
    check: checkFeederFiles(feederFilesOf(file, options.allowPath)),
  });
  if (options.json) {
    stdout.write(
      `${JSON.stringify(result.ok ? { file, valid: true, errors: [], warnings: result.warnings } : { file, valid: false, problems: result.problems, errors: result.errors })}\n`,
    );
  } else if (result.ok) {
    const { scenario } = result;
    const steps = scenario.flows.reduce((n, flow) => n + flow.steps.length, 0);
    stdout.write(
      `${file}: valid — "${scenario.name}", ${scenario.flows.length} flow(s), ${steps} step(s), ${scenario.agents} agent(s), target ${scenario.target}\n`,
    );
    for (const warning of result.warnings) stdout.write(`warning: ${formatError(warning, file)}\n`);
  } else {
    for (const error of result.errors) stderr.write(`${formatError(error, file)}\n`);
    stderr.write(`${file}: ${result.problems} problem(s)\n`);
  }
  return result.ok ? ExitCode.passed : ExitCode.badInput;
}
