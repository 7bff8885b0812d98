import { z } from 'zod';

/**
 * Run lifecycle. `awaiting-approval`: a launch in a protected environment waits for a second
 * person (refused or expired, it ends `aborted`). `degraded` is a completed run that lost an
 * agent on the way: what the agent delivered is kept, the rest of the run still ran.
 * `invalid` ran, but a load generator could not keep up with its own schedule (saturated):
 * its figures describe the generator, not the target, whatever its thresholds say.
 */
export const RunStatus = z.enum([
  'awaiting-approval',
  'queued',
  'waiting-for-agents',
  'running',
  'passed',
  'failed',
  'aborted',
  'degraded',
  'invalid',
  'error',
]);
export type RunStatus = z.infer<typeof RunStatus>;

export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set([
  'passed',
  'failed',
  'aborted',
  'degraded',
  'invalid',
  'error',
]);
