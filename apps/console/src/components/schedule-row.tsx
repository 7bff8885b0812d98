'use client';
// One schedule in the list: what it runs, when, where, who made it, its approval in a
// protected environment, and the actions this user may take on it.
import { controlApi, type Schedule } from '@loadline/api/http';
import { call } from '@/lib/api';
import { when } from '@/lib/format';
import { useSession } from '@/lib/session';
import { ApprovalActions, ApprovalBadge } from './approval';
import { GuardedButton } from './guarded-button';

export const SCHEDULE_HEADS = [
  'Name',
  'Scenario',
  'Environment',
  'Cron',
  'Time zone',
  { num: 'Agents' },
  'State',
  'Approval',
  { skip: 'Actions' },
] as const;

export function ScheduleRow({
  schedule: s,
  act,
  reload,
}: {
  schedule: Schedule;
  /** runs an action, then says `what` (or the failure) above the list */
  act: (what: string, fn: () => Promise<unknown>) => void;
  reload: () => void;
}) {
  const { needs } = useSession();
  const writeNeeds = needs('schedule.write', s.environment);
  return (
    <tr data-testid={`schedule-${s.name}`} data-paused={s.paused}>
      <td>
        <strong>{s.name}</strong>
        <br />
        <span className="muted">
          created {when(s.createdAt)}
          {s.createdBy ? ` by ${s.createdBy}` : ''}
        </span>
      </td>
      <td>
        {s.scenario}
        {s.scenarioVersion === null ? '' : ` v${s.scenarioVersion}`}
      </td>
      <td>{s.environment}</td>
      <td>
        <code>{s.cron}</code>
      </td>
      <td>{s.timezone}</td>
      <td className="num">{s.agents}</td>
      <td data-testid="schedule-state">{s.paused ? 'paused' : 'active'}</td>
      <td data-testid="schedule-approval">
        {s.approval ? (
          <>
            <ApprovalBadge approval={s.approval} />
            <br />
            <span className="muted">
              asked by {s.approval.requestedBy}
              {s.approval.decidedBy ? `; ${s.approval.state} by ${s.approval.decidedBy}` : ''}
              {s.approval.reason ? `: ${s.approval.reason}` : ''}
            </span>
            {s.approval.state === 'pending' ? (
              <ApprovalActions
                subject={`schedule ${s.name}`}
                needs={needs('run.approve', s.environment)}
                approve={() => call(controlApi.approveSchedule, { params: { id: s.id }, body: {} })}
                refuse={(reason) =>
                  call(controlApi.refuseSchedule, { params: { id: s.id }, body: { reason } })
                }
                onDecided={reload}
              />
            ) : null}
          </>
        ) : (
          <span className="muted">not needed</span>
        )}
      </td>
      <td>
        <div className="toolbar">
          <GuardedButton
            needs={writeNeeds}
            onClick={() =>
              act(`${s.paused ? 'Resumed' : 'Paused'} schedule ${s.name}.`, () =>
                call(controlApi.pauseSchedule, {
                  params: { id: s.id },
                  body: { paused: !s.paused },
                }),
              )
            }
            aria-label={`${s.paused ? 'Resume' : 'Pause'} ${s.name}`}
          >
            {s.paused ? 'Resume' : 'Pause'}
          </GuardedButton>
          <GuardedButton
            needs={writeNeeds}
            onClick={() =>
              act(`Removed schedule ${s.name}.`, () =>
                call(controlApi.deleteSchedule, { params: { id: s.id } }),
              )
            }
            aria-label={`Remove ${s.name}`}
          >
            Remove
          </GuardedButton>
        </div>
      </td>
    </tr>
  );
}
