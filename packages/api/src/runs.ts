import { z } from 'zod';

/**
 * Run lifecycle. `degraded` is a completed run that lost an agent on the way: what the
 * agent delivered is kept, the rest of the run still ran.
 */
export const RunStatus = z.enum([
  'queued',
  'waiting-for-agents',
  'running',
  'passed',
  'failed',
  'aborted',
  'degraded',
  'error',
]);
export type RunStatus = z.infer<typeof RunStatus>;

export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set([
  'passed',
  'failed',
  'aborted',
  'degraded',
  'error',
]);
