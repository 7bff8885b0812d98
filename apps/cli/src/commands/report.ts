import { type ApiEnv, ApiProblem, ControlClient, controlApi } from '../control-client.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { checkOutFile, writeOutFile } from '../out-file.js';

const FORMATS = Object.keys(controlApi.runReport.success.body.formats);

/** `loadline report RUN --format F [--out FILE]`: a finished run's report from control. */
export async function runReport(
  runId: string,
  options: { api?: string; format?: string; out?: string },
  stdout: NodeJS.WritableStream,
  env: ApiEnv,
): Promise<number> {
  const format = options.format ?? 'json';
  if (!FORMATS.includes(format)) {
    throw new UsageError('--format', `expected one of ${FORMATS.join(', ')}, got "${format}"`);
  }
  if (options.out) await checkOutFile(options.out);
  const client = ControlClient.for(options.api, env);
  let text: string;
  try {
    const response = await client.send(controlApi.runReport, {
      params: { id: runId },
      query: { format },
    });
    text = await response.text();
  } catch (error) {
    if (error instanceof ApiProblem) throw new UsageError(undefined, error.message);
    throw error;
  }
  if (options.out) await writeOutFile(options.out, text);
  else stdout.write(text);
  return ExitCode.passed;
}
