/** One problem found while importing: where (line, and for JSON column and path) and why. */
export interface ImportIssue {
  line: number;
  column?: number;
  /** For HAR: the JSON path, e.g. `log.entries[3].request.url`. */
  path?: string;
  message: string;
}

/** `access.log:17: not a combined log line: …`, `trace.har:3:12: log.entries[0]…: …` */
export function formatIssue(issue: ImportIssue, source: string): string {
  const where = issue.column === undefined ? `${issue.line}` : `${issue.line}:${issue.column}`;
  return `${source}:${where}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`;
}

/**
 * The import failed: every problem found (up to the cap), so a user fixes a file in one
 * pass rather than one error per run (k6's `Validate() []error`).
 */
export class ImportError extends Error {
  constructor(
    readonly source: string,
    readonly issues: ImportIssue[],
    /** Problems found in all, including those past the cap. */
    readonly total: number,
  ) {
    const first = issues[0];
    const head = first ? formatIssue(first, source) : `${source}: import failed`;
    super(total > 1 ? `${head} (${total} problems in all)` : head);
    this.name = 'ImportError';
  }
}

/**
 * Collects bad records while a parser keeps going. Without skipBad it stops the parser
 * once `cap` problems are known (there is no point reading a 2 GB log that is all wrong);
 * with skipBad it counts every bad record but keeps only the first `cap` reasons.
 */
export class IssueLog {
  readonly issues: ImportIssue[] = [];
  count = 0;

  constructor(
    readonly skipBad: boolean,
    readonly cap: number,
  ) {}

  /**
   * Counts a problem; the `cap` with the smallest line numbers are kept, in line order,
   * whatever order they were found in (a rule checked after parsing finds its later).
   */
  add(issue: ImportIssue): void {
    this.count++;
    const last = this.issues.at(-1);
    if (this.issues.length >= this.cap && last && last.line <= issue.line) return;
    let at = this.issues.length;
    while (at > 0 && (this.issues[at - 1] as ImportIssue).line > issue.line) at--;
    this.issues.splice(at, 0, issue);
    if (this.issues.length > this.cap) this.issues.pop();
  }

  /** True when the parser may stop: the import fails anyway and the cap is reached. */
  get full(): boolean {
    return !this.skipBad && this.count >= this.cap;
  }
}

/** A problem that makes the whole file unreadable (truncated JSON, no `log.entries`). */
export function fatal(source: string, issue: ImportIssue): ImportError {
  return new ImportError(source, [issue], 1);
}

/** Offset → line:column (1-based), by binary search over the line starts. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
      this.starts.push(i + 1);
    }
  }

  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }
}

/** A line shortened for an error message. */
export function excerpt(line: string, max = 80): string {
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
