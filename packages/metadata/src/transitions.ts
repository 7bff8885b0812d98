import { type RunStatus, TERMINAL_STATUSES } from '@loadline/api';
import { InvalidTransitionError } from './errors.js';

/**
 * The run lifecycle: which status may follow which. Terminal statuses have no successors.
 * A run may skip `waiting-for-agents` (a single local agent is there at once) and may be
 * aborted or fail with an error from any live status. A run awaiting approval becomes
 * queued when approved, aborted when refused or expired.
 */
export const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  'awaiting-approval': ['queued', 'aborted'],
  queued: ['waiting-for-agents', 'running', 'aborted', 'error'],
  'waiting-for-agents': ['running', 'aborted', 'error'],
  running: ['passed', 'failed', 'aborted', 'degraded', 'invalid', 'error'],
  passed: [],
  failed: [],
  aborted: [],
  degraded: [],
  invalid: [],
  error: [],
};

/**
 * Statuses of runs a control coordinates, in lifecycle order (a run awaiting approval is
 * not coordinated yet: nothing has been sent to agents).
 */
export const ACTIVE_STATUSES: readonly RunStatus[] = ['queued', 'waiting-for-agents', 'running'];

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return RUN_TRANSITIONS[from].includes(to);
}

/** Throws InvalidTransitionError unless `to` may follow every status in `from`. */
export function assertTransition(from: readonly RunStatus[], to: RunStatus): void {
  if (from.length === 0) throw new InvalidTransitionError(from, to, 'no source status given');
  const bad = from.filter((status) => !canTransition(status, to));
  if (bad.length === 0) return;
  const reasons = bad.map((status) =>
    TERMINAL_STATUSES.has(status)
      ? `${status} is terminal`
      : `${status} may only move to ${RUN_TRANSITIONS[status].join(', ')}`,
  );
  throw new InvalidTransitionError(from, to, reasons.join('; '));
}
