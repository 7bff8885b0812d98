import type { UslPoint } from './usl-model.js';

/** One problem in a CSV file, located by its 1-based line. */
export interface CsvProblem {
  file: string;
  line: number;
  message: string;
}

export type UslCsvResult = { ok: true; points: UslPoint[] } | { ok: false; errors: CsvProblem[] };

const COLUMNS = ['concurrency', 'throughput'] as const;

export function formatCsvProblem(problem: CsvProblem): string {
  return `${problem.file}:${problem.line}: ${problem.message}`;
}

/**
 * Parses `concurrency,throughput` measurements (header required, columns in any order, other
 * columns ignored, blank lines skipped). Every problem is reported, each with its line, so a
 * file can be fixed in one pass.
 */
export function parseUslCsv(text: string, fileName: string): UslCsvResult {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const errors: CsvProblem[] = [];
  const problem = (line: number, message: string) => errors.push({ file: fileName, line, message });

  const headerIndex = lines.findIndex((l) => l.trim() !== '');
  if (headerIndex < 0) {
    problem(1, 'empty file: expected a header "concurrency,throughput" and data rows');
    return { ok: false, errors };
  }
  const header = lines[headerIndex]!.split(',').map((h) => h.trim().toLowerCase());
  const index = COLUMNS.map((name) => header.indexOf(name));
  const missing = COLUMNS.filter((_, i) => index[i]! < 0);
  if (missing.length > 0) {
    problem(
      headerIndex + 1,
      `header must name the columns concurrency,throughput (missing ${missing.join(', ')}; got "${lines[headerIndex]!.trim()}")`,
    );
    return { ok: false, errors };
  }

  const points: UslPoint[] = [];
  lines.forEach((text, i) => {
    if (i <= headerIndex || text.trim() === '') return;
    const cells = text.split(',').map((c) => c.trim());
    if (cells.length !== header.length) {
      problem(i + 1, `expected ${header.length} fields, got ${cells.length}`);
      return;
    }
    const [concurrency, throughput] = COLUMNS.map((name, c) =>
      parseCell(cells[index[c]!]!, name, (message) => problem(i + 1, message)),
    );
    if (concurrency !== undefined && throughput !== undefined) {
      points.push({ concurrency, throughput });
    }
  });
  if (errors.length === 0 && points.length === 0) {
    problem(headerIndex + 1, 'no data rows after the header');
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, points };
}

function parseCell(
  cell: string,
  name: (typeof COLUMNS)[number],
  report: (message: string) => void,
): number | undefined {
  // Number('') is 0 and Number('0x10') is 16: only plain decimal notation is a measurement.
  const value = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(cell) ? Number(cell) : Number.NaN;
  if (!Number.isFinite(value)) {
    report(`${name} "${cell}" is not a number`);
    return undefined;
  }
  if (name === 'concurrency' ? value <= 0 : value < 0) {
    report(`${name} must be ${name === 'concurrency' ? '> 0' : '≥ 0'}, got ${cell}`);
    return undefined;
  }
  return value;
}
