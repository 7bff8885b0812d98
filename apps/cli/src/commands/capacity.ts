import { readFile } from 'node:fs/promises';
import {
  fitUsl,
  formatCsvProblem,
  parseUslCsv,
  type UslFit,
  UslInputError,
} from '@loadline/capacity';
import { ExitCode, UsageError } from '../exit-codes.js';

export interface CapacityUslOptions {
  csv?: string;
  json?: boolean;
}

export interface CapacityIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** `loadline capacity usl --csv FILE [--json]`: fit the USL to concurrency,throughput points. */
export async function runCapacityUsl(options: CapacityUslOptions, io: CapacityIo): Promise<number> {
  const file = options.csv;
  if (!file)
    throw new UsageError('--csv', 'required: a CSV file with columns concurrency,throughput');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError('--csv', `cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
  }
  const parsed = parseUslCsv(text, file);
  if (!parsed.ok) {
    const [first, ...rest] = parsed.errors;
    const more = rest.length > 0 ? ` (and ${rest.length} more problem(s))` : '';
    throw new UsageError(undefined, `${formatCsvProblem(first!)}${more}`);
  }
  let fit: UslFit;
  try {
    fit = await fitUsl(parsed.points);
  } catch (error) {
    if (error instanceof UslInputError)
      throw new UsageError(undefined, `${file}: ${error.message}`);
    throw error;
  }
  if (options.json) io.stdout.write(`${JSON.stringify(fit)}\n`);
  else {
    io.stdout.write(renderUslFit(file, fit));
    for (const warning of fit.warnings) io.stderr.write(`warning: ${warning}\n`);
  }
  return ExitCode.passed;
}

const sig = (v: number, digits = 6) => Number(v.toPrecision(digits)).toString();

/** The fit as a short table; pure, so it can be tested without a terminal. */
export function renderUslFit(file: string, fit: UslFit): string {
  const { peak } = fit;
  const peakLine =
    peak.kind === 'peak'
      ? `N* = ${sig(peak.concurrency, 5)} → X = ${sig(peak.throughput)}  (floored: N = ${peak.flooredConcurrency} → X = ${sig(peak.flooredThroughput)})`
      : peak.kind === 'asymptote'
        ? `none (κ = 0): X approaches λ/σ = ${sig(peak.throughput)}`
        : 'none: throughput grows without a maximum in this model';
  const rows: [string, string][] = [
    ['sigma  σ (contention)', sig(fit.sigma)],
    ['kappa  κ (coherency)', sig(fit.kappa)],
    ['lambda λ (X at N=1)', sig(fit.lambda)],
    ['peak', peakLine],
    ['r²', fit.r2.toFixed(4)],
  ];
  if (fit.atBound.length > 0) rows.push(['at bound', fit.atBound.join(', ')]);
  const width = Math.max(...rows.map(([label]) => label.length));
  const body = rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n');
  return `USL fit of ${file} (${fit.points} points)\n${body}\n`;
}
