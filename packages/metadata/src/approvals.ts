import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { type ApprovalState, type ApprovalSubject, approvals } from './schema.js';

export type Approval = typeof approvals.$inferSelect;

export async function requestApproval(
  db: Db,
  input: {
    subjectKind: ApprovalSubject;
    subjectId: string;
    requestedBy: string;
    requesterUserId: string | null;
    expiresAt: Date;
  },
): Promise<Approval> {
  const [row] = await db.insert(approvals).values(input).returning();
  return row!;
}

export async function getApproval(
  db: Db,
  subjectKind: ApprovalSubject,
  subjectId: string,
): Promise<Approval | undefined> {
  const [row] = await db
    .select()
    .from(approvals)
    .where(and(eq(approvals.subjectKind, subjectKind), eq(approvals.subjectId, subjectId)));
  return row;
}

/** The approvals of several subjects of one kind, by subject id. */
export async function approvalsOf(
  db: Db,
  subjectKind: ApprovalSubject,
  subjectIds: readonly string[],
): Promise<Map<string, Approval>> {
  if (subjectIds.length === 0) return new Map();
  const rows = await db
    .select()
    .from(approvals)
    .where(
      and(eq(approvals.subjectKind, subjectKind), inArray(approvals.subjectId, [...subjectIds])),
    );
  return new Map(rows.map((row) => [row.subjectId, row]));
}

/**
 * Decides a pending, unexpired approval (compare-and-set): the decided row, or undefined
 * when it was no longer pending (someone else decided, or it expired).
 */
export async function decideApproval(
  db: Db,
  input: {
    subjectKind: ApprovalSubject;
    subjectId: string;
    state: Extract<ApprovalState, 'approved' | 'refused'>;
    decidedBy: string;
    deciderUserId: string | null;
    reason: string | null;
  },
): Promise<Approval | undefined> {
  const [row] = await db
    .update(approvals)
    .set({
      state: input.state,
      decidedBy: input.decidedBy,
      deciderUserId: input.deciderUserId,
      decidedAt: sql`now()`,
      reason: input.reason,
    })
    .where(
      and(
        eq(approvals.subjectKind, input.subjectKind),
        eq(approvals.subjectId, input.subjectId),
        eq(approvals.state, 'pending'),
        sql`${approvals.expiresAt} > now()`,
      ),
    )
    .returning();
  return row;
}

/** Marks pending approvals past their time as expired; returns them. */
export async function expireApprovals(db: Db): Promise<Approval[]> {
  return db
    .update(approvals)
    .set({ state: 'expired', decidedAt: sql`now()` })
    .where(and(eq(approvals.state, 'pending'), lt(approvals.expiresAt, sql`now()`)))
    .returning();
}
