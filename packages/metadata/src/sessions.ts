import { and, eq, lt, ne, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { oidcLogins, sessions, users } from './schema.js';

export type Session = typeof sessions.$inferSelect;
export type SessionWithUser = Session & { user: typeof users.$inferSelect };

export async function createSession(
  db: Db,
  input: { hash: string; userId: string; csrf: string; expiresAt: Date },
): Promise<Session> {
  const [row] = await db.insert(sessions).values(input).returning();
  return row!;
}

/**
 * The live session with this hash and its user (not expired, idle less than `idleMs`), or
 * undefined; seeing it moves its idle clock.
 */
export async function findLiveSession(
  db: Db,
  hash: string,
  idleMs: number,
): Promise<SessionWithUser | undefined> {
  const [row] = await db
    .update(sessions)
    .set({ lastSeenAt: sql`now()` })
    .where(
      and(
        eq(sessions.hash, hash),
        sql`${sessions.expiresAt} > now()`,
        sql`${sessions.lastSeenAt} > now() - ${idleMs}::float8 * interval '1 millisecond'`,
      ),
    )
    .returning();
  if (!row) return undefined;
  const [user] = await db.select().from(users).where(eq(users.id, row.userId));
  return user ? { ...row, user } : undefined;
}

export async function deleteSession(db: Db, hash: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.hash, hash));
}

/** Ends a user's sessions (all of them, or all but `keep`): a new password, a disabled user. */
export async function deleteSessionsOf(db: Db, userId: string, keep?: string): Promise<void> {
  await db
    .delete(sessions)
    .where(
      keep === undefined
        ? eq(sessions.userId, userId)
        : and(eq(sessions.userId, userId), ne(sessions.hash, keep)),
    );
}

export async function pruneSessions(db: Db): Promise<void> {
  await db.delete(sessions).where(lt(sessions.expiresAt, sql`now()`));
  await db.delete(oidcLogins).where(lt(oidcLogins.createdAt, sql`now() - interval '10 minutes'`));
}

export async function saveOidcLogin(
  db: Db,
  input: { stateHash: string; verifier: string; nonce: string; returnTo: string },
): Promise<void> {
  await db.insert(oidcLogins).values(input);
}

/** The login under way with this state, used once: it is deleted as it is read. */
export async function takeOidcLogin(db: Db, stateHash: string) {
  const [row] = await db
    .delete(oidcLogins)
    .where(
      and(
        eq(oidcLogins.stateHash, stateHash),
        sql`${oidcLogins.createdAt} > now() - interval '10 minutes'`,
      ),
    )
    .returning();
  return row;
}
