import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from './db.js';
import { NotFoundError, validate } from './errors.js';
import { newId } from './ids.js';
import { apiTokens, type TokenRole, users } from './schema.js';

export type ApiToken = typeof apiTokens.$inferSelect;

/** A token with its owner's name and standing, as authentication needs it. */
export type TokenWithOwner = ApiToken & {
  owner: string | null;
  ownerDisabled: boolean;
  /** the owner's grant now: a token never holds more than its owner still does */
  ownerRole: string | null;
  ownerEnvironments: string[] | null;
};

export const CreateTokenInput = z.strictObject({
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  name: z.string().min(1).max(200),
  userId: z.string().min(1).nullable(),
  role: z.enum(['viewer', 'author', 'operator', 'admin', 'agent']),
  environments: z.array(z.string().min(1).max(128)).max(200).default([]),
  expiresAt: z.date().nullable(),
});
export type CreateTokenInput = z.input<typeof CreateTokenInput>;

export class UnknownTokenError extends NotFoundError {
  constructor(id: string) {
    super('token', id);
  }
}

const withOwner = {
  id: apiTokens.id,
  hash: apiTokens.hash,
  name: apiTokens.name,
  userId: apiTokens.userId,
  role: apiTokens.role,
  environments: apiTokens.environments,
  createdAt: apiTokens.createdAt,
  expiresAt: apiTokens.expiresAt,
  lastUsedAt: apiTokens.lastUsedAt,
  revokedAt: apiTokens.revokedAt,
  owner: users.name,
  ownerDisabled: sql<boolean>`coalesce(${users.disabled}, false)`,
  ownerRole: users.role,
  ownerEnvironments: users.environments,
};

export async function createToken(db: Db, input: CreateTokenInput): Promise<ApiToken> {
  const t = validate('token', CreateTokenInput, input);
  const environments = t.role === 'operator' ? [...new Set(t.environments)] : [];
  const [row] = await db
    .insert(apiTokens)
    .values({ id: newId('tok'), ...t, role: t.role as TokenRole, environments })
    .returning();
  return row!;
}

/** The live token with this hash (not revoked, not expired), or undefined. */
export async function findLiveToken(db: Db, hash: string): Promise<TokenWithOwner | undefined> {
  const [row] = await db
    .select(withOwner)
    .from(apiTokens)
    .leftJoin(users, eq(apiTokens.userId, users.id))
    .where(
      and(
        eq(apiTokens.hash, hash),
        isNull(apiTokens.revokedAt),
        sql`(${apiTokens.expiresAt} is null or ${apiTokens.expiresAt} > now())`,
      ),
    );
  return row;
}

export async function touchToken(db: Db, id: string): Promise<void> {
  await db.update(apiTokens).set({ lastUsedAt: sql`now()` }).where(eq(apiTokens.id, id));
}

/** Tokens newest first: one user's, or every token when `userId` is undefined. */
export async function listTokens(db: Db, userId?: string): Promise<TokenWithOwner[]> {
  return db
    .select(withOwner)
    .from(apiTokens)
    .leftJoin(users, eq(apiTokens.userId, users.id))
    .where(userId === undefined ? undefined : eq(apiTokens.userId, userId))
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
}

export async function getToken(db: Db, id: string): Promise<TokenWithOwner> {
  const [row] = await db
    .select(withOwner)
    .from(apiTokens)
    .leftJoin(users, eq(apiTokens.userId, users.id))
    .where(eq(apiTokens.id, id));
  if (!row) throw new UnknownTokenError(id);
  return row;
}

/** Revokes a token (idempotent); its row stays, for the audit log's references. */
export async function revokeToken(db: Db, id: string): Promise<void> {
  await db
    .update(apiTokens)
    .set({ revokedAt: sql`coalesce(${apiTokens.revokedAt}, now())` })
    .where(eq(apiTokens.id, id));
}

/** Revokes every live token named `name` (a machine's CLI token being replaced). */
export async function revokeTokensNamed(db: Db, name: string, userId: string): Promise<number> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiTokens.name, name), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return rows.length;
}
