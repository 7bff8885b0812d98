import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunStatus, TERMINAL_STATUSES } from '@loadline/api';
import { InvalidTransitionError } from './errors.js';
import {
  ACTIVE_STATUSES,
  assertTransition,
  canTransition,
  RUN_TRANSITIONS,
} from './transitions.js';

describe('run lifecycle', () => {
  it('covers every status; terminal ones have no way out, live ones always can abort', () => {
    assert.deepEqual(Object.keys(RUN_TRANSITIONS).sort(), [...RunStatus.options].sort());
    for (const status of RunStatus.options) {
      const terminal = TERMINAL_STATUSES.has(status);
      assert.equal(RUN_TRANSITIONS[status].length === 0, terminal, status);
      // A run awaiting approval is live but nobody coordinates it yet: nothing was sent.
      assert.equal(
        ACTIVE_STATUSES.includes(status),
        !terminal && status !== 'awaiting-approval',
        status,
      );
      if (!terminal) assert.ok(canTransition(status, 'aborted'), status);
    }
  });

  it('never goes back', () => {
    assert.equal(canTransition('running', 'queued'), false);
    assert.equal(canTransition('running', 'waiting-for-agents'), false);
    assert.equal(canTransition('queued', 'passed'), false, 'a run passes only after running');
    assert.equal(canTransition('passed', 'failed'), false);
  });

  it('refuses a whole transition when any source status cannot make it, naming why', () => {
    assert.doesNotThrow(() => assertTransition(['queued', 'waiting-for-agents'], 'running'));
    assert.throws(
      () => assertTransition(['running', 'passed'], 'aborted'),
      (error: unknown) =>
        error instanceof InvalidTransitionError &&
        error.code === 'invalid_transition' &&
        /passed is terminal/.test(error.message),
    );
    assert.throws(() => assertTransition(['queued'], 'degraded'), /queued may only move to/);
    assert.throws(() => assertTransition([], 'running'), /no source status/);
  });
});
