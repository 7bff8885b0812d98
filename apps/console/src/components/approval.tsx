'use client';
// Four eyes: what a launch or schedule in a protected environment waits for, and the
// second operator's Approve or Refuse (a refusal says why). Control refuses the one who
// asked; the page shows its answer rather than guessing.
import type { Approval } from '@loadline/api/http';
import { useId, useState } from 'react';
import { Problem } from '@/components/bits';
import { type ApiError, apiError } from '@/lib/api';
import { when } from '@/lib/format';
import { GuardedButton } from './guarded-button';

export function ApprovalBadge({ approval }: { approval: Approval }) {
  return (
    <span className={`badge badge-${approval.state}`} data-testid="approval-state">
      {approval.state === 'pending' ? 'awaiting approval' : approval.state}
    </span>
  );
}

/** The approval's facts: state, who asked and when, until when, who decided and why. */
export function ApprovalFacts({ approval }: { approval: Approval }) {
  return (
    <dl data-testid="approval-facts">
      <dt>State</dt>
      <dd>
        <ApprovalBadge approval={approval} />
      </dd>
      <dt>Requested by</dt>
      <dd data-testid="approval-requested-by">
        {approval.requestedBy}, {when(approval.requestedAt)}
      </dd>
      <dt>{approval.state === 'pending' ? 'Expires' : 'Would have expired'}</dt>
      <dd>{when(approval.expiresAt)}</dd>
      {approval.decidedBy ? (
        <>
          <dt>Decided by</dt>
          <dd data-testid="approval-decided-by">
            {approval.decidedBy}, {when(approval.decidedAt)}
          </dd>
        </>
      ) : null}
      {approval.reason ? (
        <>
          <dt>Reason</dt>
          <dd data-testid="approval-reason">{approval.reason}</dd>
        </>
      ) : null}
    </dl>
  );
}

export interface ApprovalActionsProps {
  /** what is decided, for labels: "run run_1", "schedule nightly" */
  subject: string;
  /** why this user may not decide (useSession().needs('run.approve', env)) */
  needs: string | undefined;
  approve: () => Promise<unknown>;
  refuse: (reason: string) => Promise<unknown>;
  /** after either succeeded */
  onDecided: () => void;
}

/** Approve, or Refuse with a reason; control's refusal of either shows beside them. */
export function ApprovalActions(props: ApprovalActionsProps) {
  const id = useId();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [reasonMissing, setReasonMissing] = useState(false);

  const decide = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      setReason('');
      props.onDecided();
    } catch (failure) {
      setError(apiError(failure));
    } finally {
      setBusy(false);
    }
  };
  const refuse = () => {
    setReasonMissing(reason.trim() === '');
    if (reason.trim() !== '') void decide(() => props.refuse(reason.trim()));
  };

  return (
    <div className="approval-actions" data-testid="approval-actions">
      <div className="toolbar">
        <GuardedButton
          className="primary"
          needs={props.needs}
          disabled={busy}
          onClick={() => void decide(props.approve)}
          aria-label={`Approve ${props.subject}`}
        >
          Approve
        </GuardedButton>
        <label>
          Reason for refusing
          <input
            id={`${id}-reason`}
            value={reason}
            maxLength={1000}
            onChange={(e) => {
              setReason(e.target.value);
              setReasonMissing(false);
            }}
            aria-invalid={reasonMissing}
            aria-describedby={reasonMissing ? `${id}-reason-error` : undefined}
            disabled={props.needs !== undefined}
          />
        </label>
        <GuardedButton
          className="danger"
          needs={props.needs}
          disabled={busy}
          onClick={refuse}
          aria-label={`Refuse ${props.subject}`}
        >
          Refuse
        </GuardedButton>
      </div>
      {reasonMissing ? (
        <p id={`${id}-reason-error`} role="alert" className="problem">
          Say why it is refused: the one who asked reads it.
        </p>
      ) : null}
      <div data-testid="approval-error">
        <Problem error={error} />
      </div>
    </div>
  );
}
