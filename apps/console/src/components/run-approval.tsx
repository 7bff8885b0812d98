'use client';
// A run's four-eyes approval on its page: what it waited (or waits) for, and while it
// waits, Approve and Refuse for a second operator of its environment.
import { controlApi, type Run } from '@loadline/api/http';
import { call } from '@/lib/api';
import { useSession } from '@/lib/session';
import { ApprovalActions, ApprovalFacts } from './approval';

export function RunApproval({ run, onDecided }: { run: Run; onDecided: () => void }) {
  const { whoami, needs } = useSession();
  const approval = run.approval;
  if (!approval) return null;
  const waiting = run.status === 'awaiting-approval';
  const mine = whoami !== undefined && approval.requestedBy === `user:${whoami.name}`;
  return (
    <section className="approval" aria-labelledby="approval-heading" data-testid="run-approval">
      <h2 id="approval-heading">Approval</h2>
      {waiting ? (
        <p data-testid="awaiting-note">
          Environment <strong>{run.environment}</strong> is protected: this run starts once a second
          operator or admin of it approves.
          {mine ? ' You asked for it, so someone else must approve it.' : ''}
        </p>
      ) : null}
      <ApprovalFacts approval={approval} />
      {waiting ? (
        <ApprovalActions
          subject={`run ${run.id}`}
          needs={needs('run.approve', run.environment)}
          approve={() => call(controlApi.approveRun, { params: { id: run.id }, body: {} })}
          refuse={(reason) =>
            call(controlApi.refuseRun, { params: { id: run.id }, body: { reason } })
          }
          onDecided={onDecided}
        />
      ) : null}
    </section>
  );
}
