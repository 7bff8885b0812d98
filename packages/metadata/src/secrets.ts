import { and, asc, eq } from 'drizzle-orm';
import type { Db } from './db.js';
import { requireEnvironment } from './environments.js';
import { NotFoundError } from './errors.js';
import { environmentSecrets } from './schema.js';

export type SealedSecret = typeof environmentSecrets.$inferSelect;

export class UnknownSecretError extends NotFoundError {
  constructor(environment: string, name: string) {
    super('secret', `${environment}/${name}`);
  }
}

/** Stores a sealed secret (the caller seals it: this store never sees a value). */
export async function putSecret(
  db: Db,
  input: { environment: string; name: string; sealed: string; updatedBy: string },
): Promise<SealedSecret> {
  await requireEnvironment(db, input.environment);
  const [row] = await db
    .insert(environmentSecrets)
    .values(input)
    .onConflictDoUpdate({
      target: [environmentSecrets.environment, environmentSecrets.name],
      set: { sealed: input.sealed, updatedBy: input.updatedBy, updatedAt: new Date() },
    })
    .returning();
  return row!;
}

export async function listSecrets(db: Db, environment: string): Promise<SealedSecret[]> {
  await requireEnvironment(db, environment);
  return db
    .select()
    .from(environmentSecrets)
    .where(eq(environmentSecrets.environment, environment))
    .orderBy(asc(environmentSecrets.name));
}

export async function deleteSecret(db: Db, environment: string, name: string): Promise<void> {
  const rows = await db
    .delete(environmentSecrets)
    .where(and(eq(environmentSecrets.environment, environment), eq(environmentSecrets.name, name)))
    .returning({ name: environmentSecrets.name });
  if (rows.length === 0) throw new UnknownSecretError(environment, name);
}
