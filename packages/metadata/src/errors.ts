import type { z } from 'zod';

/** Base class of every failure a caller of the metadata store can cause. */
export class MetadataError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export interface InputIssue {
  /** Dotted path into the input, e.g. `allowedHosts.2`; empty for the input itself. */
  path: string;
  message: string;
}

/** The input failed validation; `issues` lists every problem, not only the first. */
export class InvalidInputError extends MetadataError {
  readonly issues: readonly InputIssue[];
  constructor(what: string, issues: readonly InputIssue[]) {
    const list = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    super('invalid_input', `invalid ${what}: ${list}`);
    this.issues = issues;
  }

  static fromZod(what: string, error: z.ZodError): InvalidInputError {
    return new InvalidInputError(
      what,
      error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    );
  }
}

/** Something named by the caller does not exist. */
export class NotFoundError extends MetadataError {
  readonly kind: string;
  readonly key: string;
  constructor(kind: string, key: string, detail?: string) {
    super('not_found', `${kind} "${key}" does not exist${detail ? ` (${detail})` : ''}`);
    this.kind = kind;
    this.key = key;
  }
}

export class UnknownEnvironmentError extends NotFoundError {
  constructor(name: string) {
    super('environment', name);
  }
}

export class UnknownScenarioError extends NotFoundError {
  readonly version: number | undefined;
  constructor(name: string, version?: number) {
    super('scenario', name, version === undefined ? undefined : `no version ${version}`);
    this.version = version;
  }
}

export class UnknownRunError extends NotFoundError {
  constructor(id: string) {
    super('run', id);
  }
}

export class UnknownScheduleError extends NotFoundError {
  constructor(idOrName: string) {
    super('schedule', idOrName);
  }
}

/** A run status change that the run lifecycle does not allow at all. */
export class InvalidTransitionError extends MetadataError {
  readonly from: readonly string[];
  readonly to: string;
  constructor(from: readonly string[], to: string, reason: string) {
    super('invalid_transition', `cannot move a run from ${from.join(' | ')} to ${to}: ${reason}`);
    this.from = from;
    this.to = to;
  }
}

/** The write collides with existing data (a duplicate name or id, or a row still in use). */
export class ConflictError extends MetadataError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('conflict', message, options);
  }
}

/** The migrations on disk and the ones recorded in the database disagree. */
export class MigrationError extends MetadataError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('migration', message, options);
  }
}

/** Parses `input` with `schema` or throws an InvalidInputError naming every issue. */
export function validate<S extends z.ZodType>(
  what: string,
  schema: S,
  input: unknown,
): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw InvalidInputError.fromZod(what, result.error);
  return result.data;
}

/** The SQLSTATE of a Postgres error, looking through Drizzle's query-error wrapper. */
export function sqlState(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export const UNIQUE_VIOLATION = '23505';
export const FOREIGN_KEY_VIOLATION = '23503';
