import { ApproveBody, controlApi, RefuseBody } from '@loadline/api/http';
import type { Approval, MetadataStore } from '@loadline/metadata';
import type { RouteDeps } from '../api/deps.js';
import { guarded } from '../api/errors.js';
import { startStored } from '../api/launch.js';
import { runViewOf, scheduleView } from '../api/views.js';
import { HttpProblem, parseBody, type RequestContext, type Router } from '../http.js';
import { actorOf, type Principal, requirePermission, SYSTEM } from './principal.js';

/**
 * Four eyes on protected environments: a launch (or schedule) there waits until a second
 * operator or admin of that environment approves it — never the person who asked.
 */
export function registerApprovalRoutes(router: Router, deps: RouteDeps): void {
  const { metadata } = deps;

  router.route(controlApi.approveRun, async (ctx) =>
    guarded(async () => {
      const { reason } = parseBody(ApproveBody, ctx.body ?? {});
      const run = await metadata.getRun(ctx.params.id as string);
      requirePermission(ctx.principal, 'run.approve', run.environment);
      ctx.audit.target = `run:${run.id}`;
      await decide(deps, ctx, 'run', run.id, 'approved', reason ?? null);
      if (!(await metadata.transitionRun(run.id, ['awaiting-approval'], 'queued'))) {
        throw new HttpProblem(409, 'not awaiting approval', `run ${run.id} is ${run.status}`);
      }
      // The environment may have changed while the run waited: it is checked again.
      await startStored(deps, await metadata.getRun(run.id), 'approved');
      return { body: await runViewOf(metadata, await metadata.getRun(run.id)) };
    }),
  );

  router.route(controlApi.refuseRun, async (ctx) =>
    guarded(async () => {
      const { reason } = parseBody(RefuseBody, ctx.body);
      const run = await metadata.getRun(ctx.params.id as string);
      requirePermission(ctx.principal, 'run.approve', run.environment);
      ctx.audit.target = `run:${run.id}`;
      await decide(deps, ctx, 'run', run.id, 'refused', reason);
      await metadata.transitionRun(run.id, ['awaiting-approval'], 'aborted', {
        abortReason: `launch refused by ${actorOf(ctx.principal).actor}: ${reason}`,
      });
      return { body: await runViewOf(metadata, await metadata.getRun(run.id)) };
    }),
  );

  for (const [contract, state] of [
    [controlApi.approveSchedule, 'approved'],
    [controlApi.refuseSchedule, 'refused'],
  ] as const) {
    router.route(contract, async (ctx) =>
      guarded(async () => {
        const { reason } =
          state === 'approved'
            ? parseBody(ApproveBody, ctx.body ?? {})
            : parseBody(RefuseBody, ctx.body);
        const schedule = await metadata.getSchedule(ctx.params.id as string);
        requirePermission(ctx.principal, 'run.approve', schedule.environment);
        ctx.audit.target = `schedule:${schedule.name}`;
        const approval = await decide(deps, ctx, 'schedule', schedule.id, state, reason ?? null);
        // Approved, its timer is armed; refused, it never is.
        await deps.schedules.upsert(schedule);
        return { body: scheduleView(schedule, approval) };
      }),
    );
  }
}

/** Records a decision, refusing a self-approval and a decision on what is not pending. */
async function decide(
  deps: RouteDeps,
  ctx: RequestContext,
  subjectKind: 'run' | 'schedule',
  subjectId: string,
  state: 'approved' | 'refused',
  reason: string | null,
): Promise<Approval> {
  const principal = ctx.principal as Principal;
  const access = deps.metadata.access;
  const pending = await access.getApproval(subjectKind, subjectId);
  if (!pending) {
    throw new HttpProblem(
      409,
      'no approval asked',
      `${subjectKind} ${subjectId} needs no approval`,
    );
  }
  const actor = actorOf(principal).actor;
  if (
    state === 'approved' &&
    (pending.requesterUserId === null
      ? pending.requestedBy === actor
      : pending.requesterUserId === principal.userId)
  ) {
    throw new HttpProblem(
      403,
      'four eyes',
      `${pending.requestedBy} asked for this ${subjectKind}; a second operator or admin of the environment must approve it`,
      { permission: 'run.approve' },
    );
  }
  const decided = await access.decideApproval({
    subjectKind,
    subjectId,
    state,
    decidedBy: actor,
    deciderUserId: principal.userId,
    reason,
  });
  if (!decided) {
    const now = await access.getApproval(subjectKind, subjectId);
    const why =
      now?.state === 'pending' || now?.state === 'expired'
        ? `it expired at ${now.expiresAt.toISOString()}`
        : `it was already ${now?.state} by ${now?.decidedBy}`;
    throw new HttpProblem(409, 'not awaiting approval', `${subjectKind} ${subjectId}: ${why}`);
  }
  ctx.audit.detail = { requestedBy: pending.requestedBy, ...(reason ? { reason } : {}) };
  return decided;
}

/**
 * Ends what waited too long: an expired run request is aborted, an expired schedule stays
 * unarmed. Safe on every replica at once (the expiry itself is a compare-and-set).
 */
export async function expireApprovals(
  metadata: MetadataStore,
  audit: (event: {
    action: string;
    target: string;
    detail: Record<string, unknown>;
  }) => Promise<void>,
): Promise<void> {
  for (const approval of await metadata.access.expireApprovals()) {
    if (approval.subjectKind === 'run') {
      await metadata.transitionRun(approval.subjectId, ['awaiting-approval'], 'aborted', {
        abortReason: `nobody approved the launch before ${approval.expiresAt.toISOString()}`,
      });
    }
    await audit({
      action: `${approval.subjectKind}.approval-expired`,
      target: `${approval.subjectKind}:${approval.subjectId}`,
      detail: { requestedBy: approval.requestedBy },
    });
  }
}

export { SYSTEM };
