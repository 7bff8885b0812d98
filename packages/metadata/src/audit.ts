import { and, desc, eq, gte, like, lt, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from './db.js';
import { InvalidInputError, validate } from './errors.js';
import { newId } from './ids.js';
import { JsonObject } from './inputs.js';
import { type AuditActorKind, auditEvents } from './schema.js';

export type AuditEvent = typeof auditEvents.$inferSelect;

// Bounded, so one noisy caller cannot grow a row beyond reason.
export const AuditInput = z.strictObject({
  actor: z.string().min(1).max(300),
  actorKind: z.enum(['user', 'token', 'agent', 'service', 'anonymous', 'system']),
  source: z.string().max(300),
  action: z.string().min(1).max(100),
  target: z.string().max(500).nullable().default(null),
  outcome: z.enum(['ok', 'denied', 'invalid', 'failed']),
  detail: JsonObject.default({}),
});
export type AuditInput = z.input<typeof AuditInput>;

/** Appends one event; the log has no update or delete (a trigger refuses them). */
export async function appendAudit(db: Db, input: AuditInput): Promise<AuditEvent> {
  const e = validate('audit event', AuditInput, input);
  const [row] = await db
    .insert(auditEvents)
    .values({ id: newId('aud'), ...e, actorKind: e.actorKind as AuditActorKind })
    .returning();
  return row!;
}

export const AuditQuery = z.strictObject({
  actor: z.string().max(300).optional(),
  /** an action, or a prefix ending in `*` (`run.*`) */
  action: z.string().max(100).optional(),
  outcome: z.enum(['ok', 'denied', 'invalid', 'failed']).optional(),
  from: z.date().optional(),
  to: z.date().optional(),
  limit: z.number().int().min(1).max(500).default(100),
  /** the id of the last event of the previous page */
  cursor: z.string().max(64).optional(),
});
export type AuditQuery = z.input<typeof AuditQuery>;

/** Events newest first, a page at a time (ids sort by time). */
export async function listAudit(
  db: Db,
  query: AuditQuery = {},
): Promise<{ events: AuditEvent[]; nextCursor: string | null }> {
  const q = validate('audit query', AuditQuery, query);
  const where: SQL[] = [];
  if (q.actor !== undefined) where.push(eq(auditEvents.actor, q.actor));
  if (q.action !== undefined) {
    if (q.action.endsWith('*')) {
      const prefix = q.action.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`);
      where.push(like(auditEvents.action, `${prefix}%`));
    } else where.push(eq(auditEvents.action, q.action));
  }
  if (q.outcome !== undefined) where.push(eq(auditEvents.outcome, q.outcome));
  if (q.from) where.push(gte(auditEvents.at, q.from));
  if (q.to) where.push(lt(auditEvents.at, q.to));
  if (q.cursor !== undefined) {
    if (!/^aud_[0-9A-Z]{26}$/.test(q.cursor)) {
      throw new InvalidInputError('audit query', [
        { path: 'cursor', message: 'not a cursor returned by the audit log' },
      ]);
    }
    where.push(lt(auditEvents.id, q.cursor));
  }
  const rows = await db
    .select()
    .from(auditEvents)
    .where(and(...where))
    .orderBy(desc(auditEvents.id))
    .limit(q.limit + 1);
  const events = rows.slice(0, q.limit);
  return {
    events,
    nextCursor: rows.length > q.limit ? (events.at(-1)?.id ?? null) : null,
  };
}
