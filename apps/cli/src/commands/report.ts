import { writeFile } from 'node:fs/promises';
import type { CliEnv } from '@loadline/config';
import { ApiProblem, ControlClient } from '../control-client.js';
import { ExitCode, UsageError } from '../exit-codes.js';

const FORMATS = ['json', 'md', 'csv', 'hlog', 'junit'];

/** `loadline report RUN --format F [--out FILE]`: a finished run's report from control. */
export async function runReport(
  runId: string,
  options: { api?: string; format?: string; out?: string },
  stdout: NodeJS.WritableStream,
  env: Pick<CliEnv, 'LOADLINE_API'>,
): Promise<number> {
  const format = options.format ?? 'json';
  if (!FORMATS.includes(format)) {
    throw new UsageError('--format', `expected one of ${FORMATS.join(', ')}, got "${format}"`);
  }
  const client = new ControlClient(options.api ?? env.LOADLINE_API);
  let response: Response;
  try {
    response = await fetch(
      `${client.baseUrl}/runs/${encodeURIComponent(runId)}/report?format=${format}`,
    );
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new UsageError(
      '--api',
      `cannot reach control at ${client.baseUrl} (${cause}); start it with \`loadline up\``,
    );
  }
  const text = await response.text();
  if (!response.ok) {
    const problem = new ApiProblem(response.status, JSON.parse(text || '{}'));
    throw new UsageError(undefined, problem.message);
  }
  if (options.out) await writeFile(options.out, text);
  else stdout.write(text);
  return ExitCode.passed;
}
