import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { NotFoundError } from './errors.js';
import { enrolledAgents } from './schema.js';

export type EnrolledAgent = typeof enrolledAgents.$inferSelect;

export class UnknownAgentError extends NotFoundError {
  constructor(id: string) {
    super('agent', id);
  }
}

/**
 * Records an enrollment: a new agent, or a new enrollment of a known id (its old key
 * retires with the old nonce). A revoked id enrolls again only with a new token.
 */
export async function enrollAgent(
  db: Db,
  input: {
    id: string;
    enrollment: string;
    host: string;
    version: string;
    tokenId: string | null;
    enrolledBy: string;
  },
): Promise<EnrolledAgent> {
  const [row] = await db
    .insert(enrolledAgents)
    .values(input)
    .onConflictDoUpdate({
      target: enrolledAgents.id,
      set: {
        enrollment: input.enrollment,
        host: input.host,
        version: input.version,
        tokenId: input.tokenId,
        enrolledBy: input.enrolledBy,
        enrolledAt: sql`now()`,
        revokedAt: null,
      },
    })
    .returning();
  return row!;
}

export async function findEnrolledAgent(db: Db, id: string): Promise<EnrolledAgent | undefined> {
  const [row] = await db.select().from(enrolledAgents).where(eq(enrolledAgents.id, id));
  return row;
}

export async function listEnrolledAgents(db: Db): Promise<EnrolledAgent[]> {
  return db.select().from(enrolledAgents).orderBy(asc(enrolledAgents.id));
}

export async function revokeAgent(db: Db, id: string): Promise<void> {
  const [row] = await db
    .update(enrolledAgents)
    .set({ revokedAt: sql`coalesce(${enrolledAgents.revokedAt}, now())` })
    .where(eq(enrolledAgents.id, id))
    .returning({ id: enrolledAgents.id });
  if (!row) throw new UnknownAgentError(id);
}
