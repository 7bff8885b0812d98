/** k6's exit codes (k6 `errext/exitcodes`). */
export const K6ExitCode = {
  ok: 0,
  thresholdsFailed: 99,
  invalidConfig: 104,
  externalAbort: 105,
  scriptException: 107,
  scriptAborted: 108,
  testFailed: 110,
  /** not k6's: Loadline's "invalid", the runner itself could not keep up (as `loadline run`) */
  invalid: 5,
} as const;
