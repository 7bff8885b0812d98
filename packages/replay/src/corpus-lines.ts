import type { z } from 'zod';
import { type CorpusMeta, JsonLinesHead, ReplayRequest, type RequestMix } from './corpus.js';

// A corpus received as JSON Lines, one line at a time: the head `{ meta, mix }`, then one
// request per line. Each line is checked as it comes, kept as its own text (the form it
// is stored in), and the first problems are kept with their line
// numbers: a capture of any size costs its bytes, once, and never a parse of the whole.

export interface CorpusLineIssue {
  line: number;
  /** the field within the line's value (empty for the line as a whole) */
  path: Array<string | number>;
  message: string;
}

export interface ReadCorpus {
  meta: CorpusMeta;
  mix: RequestMix;
  /** each request's JSON text as it came, in order (what is stored) */
  requestLines: readonly string[];
  requestCount: number;
}

const pathOf = (issue: z.core.$ZodIssue) =>
  issue.path.map((key) => (typeof key === 'number' ? key : String(key)));

export class CorpusLinesReader {
  readonly issues: CorpusLineIssue[] = [];
  /** problems in all, beyond the ones kept */
  problems = 0;
  #head: { meta: CorpusMeta; mix: RequestMix } | undefined;
  readonly #requests: string[] = [];
  #line = 0;

  constructor(private readonly keepIssues = 50) {}

  /** Takes the next line (blank lines are skipped). */
  accept(text: string): void {
    this.#line++;
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      this.#issue([], `not JSON: ${(error as Error).message}`);
      return;
    }
    if (this.#head === undefined && this.#requests.length === 0 && this.problems === 0) {
      const head = JsonLinesHead.safeParse(value);
      if (head.success) this.#head = head.data;
      else for (const issue of head.error.issues) this.#issue(pathOf(issue), issue.message);
      return;
    }
    const request = ReplayRequest.safeParse(value);
    if (request.success) this.#requests.push(text);
    else for (const issue of request.error.issues) this.#issue(pathOf(issue), issue.message);
  }

  #issue(path: Array<string | number>, message: string): void {
    this.problems++;
    if (this.issues.length < this.keepIssues) this.issues.push({ line: this.#line, path, message });
  }

  /** The corpus read, or undefined when a line had a problem (see issues). */
  finish(): ReadCorpus | undefined {
    if (this.#head === undefined && this.problems === 0) {
      this.#issue([], 'empty: a corpus starts with a line { meta, mix }');
    }
    const head = this.#head;
    if (head && this.problems === 0 && head.meta.requests !== this.#requests.length) {
      this.#issue(
        ['meta', 'requests'],
        `says ${head.meta.requests} but ${this.#requests.length} request lines came`,
      );
    }
    if (!head || this.problems > 0) return undefined;
    return {
      meta: head.meta,
      mix: head.mix,
      requestLines: this.#requests,
      requestCount: this.#requests.length,
    };
  }
}
