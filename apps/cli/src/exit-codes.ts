/** The CLI's exit codes, stable for scripts (see README). */
export const ExitCode = {
  passed: 0,
  thresholdsFailed: 1,
  badInput: 2,
  aborted: 3,
  internalError: 4,
  /** a load generator was saturated: the figures describe it, not the target */
  invalid: 5,
} as const;

/** Bad input or usage: printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(
    readonly flag: string | undefined,
    message: string,
  ) {
    super(flag ? `${flag}: ${message}` : message);
  }
}
