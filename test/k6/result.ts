/** What `loadline run SCRIPT.js --json` prints, as the k6 tests read it. */
export interface K6Result {
  /** on the fleet: the run and its status */
  runId?: string;
  status?: string;
  exitCode: number;
  reason: string | null;
  summary: {
    metrics: Record<
      string,
      { values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }
    >;
  };
}

export function k6ResultOf(stdout: string): K6Result {
  return JSON.parse(stdout) as K6Result;
}
