import { asc, count, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from './db.js';
import { ConflictError, NotFoundError, sqlState, UNIQUE_VIOLATION, validate } from './errors.js';
import { newId } from './ids.js';
import { type UserRole, users } from './schema.js';

export type User = typeof users.$inferSelect;

const UserRoleSchema = z.enum(['viewer', 'author', 'operator', 'admin']);
const Environments = z.array(z.string().min(1).max(128)).max(200);

export const PutUserInput = z.strictObject({
  name: z.string().min(1).max(128),
  role: UserRoleSchema,
  environments: Environments.default([]),
  /** already hashed; undefined keeps the stored one */
  passwordHash: z.string().min(1).optional(),
  disabled: z.boolean().default(false),
});
export type PutUserInput = z.input<typeof PutUserInput>;

export class UnknownUserError extends NotFoundError {
  constructor(name: string) {
    super('user', name);
  }
}

/** Only operators keep environments: the other roles have theirs everywhere or nowhere. */
const grantedEnvironments = (role: UserRole, environments: string[]) =>
  role === 'operator' ? [...new Set(environments)] : [];

/** A new user's row from a PutUserInput. */
function newUser(input: PutUserInput) {
  const u = validate('user', PutUserInput, input);
  return {
    id: newId('usr'),
    name: u.name,
    role: u.role,
    environments: grantedEnvironments(u.role, u.environments),
    passwordHash: u.passwordHash ?? null,
    disabled: u.disabled,
  };
}

/** Creates or changes the local user `name`; its id, creation time and password survive. */
export async function putUser(db: Db, input: PutUserInput): Promise<User> {
  const user = newUser(input);
  const { role, environments, disabled, passwordHash } = user;
  const [row] = await db
    .insert(users)
    .values(user)
    .onConflictDoUpdate({
      target: users.name,
      set: {
        role,
        environments,
        disabled,
        ...(passwordHash === null ? {} : { passwordHash }),
        updatedAt: sql`now()`,
      },
    })
    .returning();
  return row!;
}

export async function getUser(db: Db, name: string): Promise<User> {
  const [row] = await db.select().from(users).where(eq(users.name, name));
  if (!row) throw new UnknownUserError(name);
  return row;
}

export async function findUser(db: Db, name: string): Promise<User | undefined> {
  const [row] = await db.select().from(users).where(eq(users.name, name));
  return row;
}

export async function findUserById(db: Db, id: string): Promise<User | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row;
}

/** Creates a user unless one of that name exists: the user, or undefined when taken. */
export async function insertUser(db: Db, input: PutUserInput): Promise<User | undefined> {
  const [row] = await db
    .insert(users)
    .values(newUser(input))
    .onConflictDoNothing({ target: users.name })
    .returning();
  return row;
}

export async function listUsers(db: Db): Promise<User[]> {
  return db.select().from(users).orderBy(asc(users.name));
}

export async function countUsers(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users);
  return Number(row?.n ?? 0);
}

export async function recordSignIn(db: Db, userId: string): Promise<void> {
  await db.update(users).set({ lastSignInAt: sql`now()` }).where(eq(users.id, userId));
}

export async function setPassword(db: Db, userId: string, passwordHash: string): Promise<void> {
  await db.update(users).set({ passwordHash, updatedAt: sql`now()` }).where(eq(users.id, userId));
}

export const SsoUserInput = z.strictObject({
  /** issuer and subject: the provider's stable identity of the person */
  subject: z.string().min(1).max(1024),
  /** the name it shows as (preferred_username or email) */
  name: z.string().min(1).max(128),
  role: UserRoleSchema,
  environments: Environments.default([]),
});
export type SsoUserInput = z.input<typeof SsoUserInput>;

/**
 * The user a single sign-on identity stands for, created on its first sign-in; its role
 * follows the provider's groups at every sign-in. A local user of the same name is not
 * taken over: that is a conflict.
 */
export async function upsertSsoUser(db: Db, input: SsoUserInput): Promise<User> {
  const u = validate('single sign-on user', SsoUserInput, input);
  const environments = grantedEnvironments(u.role, u.environments);
  const [known] = await db.select().from(users).where(eq(users.subject, u.subject));
  if (known) {
    const [row] = await db
      .update(users)
      .set({ role: u.role, environments, updatedAt: sql`now()` })
      .where(eq(users.id, known.id))
      .returning();
    return row!;
  }
  try {
    const [row] = await db
      .insert(users)
      .values({
        id: newId('usr'),
        name: u.name,
        role: u.role,
        environments,
        source: 'oidc',
        subject: u.subject,
      })
      .returning();
    return row!;
  } catch (error) {
    if (sqlState(error) === UNIQUE_VIOLATION) {
      throw new ConflictError(
        `a user named "${u.name}" already exists and signs in with a password; single sign-on does not take it over`,
        { cause: error },
      );
    }
    throw error;
  }
}
