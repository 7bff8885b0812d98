import type { ThresholdVerdict } from './thresholds.js';

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

/**
 * The codes by which one script ends the whole run, first cause first: it aborted
 * (`exec.test.abort()`), failed in init or setup, or was refused. On the fleet, one agent's
 * stops every other.
 */
const RUN_ENDING_CODES = [
  K6ExitCode.scriptAborted,
  K6ExitCode.scriptException,
  K6ExitCode.invalidConfig,
] as const;

export function endsTheRun(exitCode: number): boolean {
  return (RUN_ENDING_CODES as readonly number[]).includes(exitCode);
}

/** How one script's run ended (one agent's part, or the script's own): k6's code and why. */
export interface ScriptEnding {
  exitCode: number;
  reason?: string;
}

/**
 * How a run ended, as k6's exit code, first cause first (on one machine and on the fleet):
 * a saturated runner (5); a script that aborted, failed in init/setup or was refused (108,
 * 107, 104), on any agent; thresholds that aborted the run (99); a stop (105); thresholds
 * crossed at the end (99); `exec.test.fail()` (110).
 */
export function k6Ending(run: {
  saturated: boolean;
  saturationHint?: string;
  /** who could not keep up: "the runner itself", "an agent's runner" */
  runner: string;
  scripts: readonly ScriptEnding[];
  thresholdAbort: ThresholdVerdict['abort'];
  /** why the run was stopped from outside, or undefined */
  stopped: string | undefined;
  verdict: ThresholdVerdict;
}): ScriptEnding {
  if (run.saturated) {
    return {
      exitCode: K6ExitCode.invalid,
      reason: `INVALID: ${run.runner} could not keep up, so these figures describe it, not the target${run.saturationHint ? `: ${run.saturationHint}` : ''}`,
    };
  }
  for (const code of RUN_ENDING_CODES) {
    const script = run.scripts.find((s) => s.exitCode === code);
    if (script) return script;
  }
  if (run.thresholdAbort) {
    return {
      exitCode: K6ExitCode.thresholdsFailed,
      reason: `thresholds on ${run.thresholdAbort.key} (${run.thresholdAbort.source}) crossed: the run was aborted (abortOnFail)`,
    };
  }
  if (run.stopped !== undefined) return { exitCode: K6ExitCode.externalAbort, reason: run.stopped };
  if (!run.verdict.passed) {
    const failed = run.verdict.outcomes.filter((o) => !o.ok).map((o) => `${o.key} ${o.source}`);
    return {
      exitCode: K6ExitCode.thresholdsFailed,
      reason: `thresholds on metrics ${failed.join(', ')} have been crossed`,
    };
  }
  return (
    run.scripts.find((s) => s.exitCode === K6ExitCode.testFailed) ?? { exitCode: K6ExitCode.ok }
  );
}
