import { and, eq, inArray, ne, or, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { controlLeader, runs } from './schema.js';
import { ACTIVE_STATUSES } from './transitions.js';

/** The active control as written: who, where its API answers, and whether its lease holds. */
export interface Leader {
  holder: string;
  url: string;
  live: boolean;
  since: Date;
}

/**
 * Takes or renews the active control's lease for `ttlMs` (database clock): true when
 * `holder` is the active control now. It is taken only when free or lapsed, unless `force`
 * (a control that knows the holder is gone: embedded mode holds the data directory's lock).
 */
export async function acquireLeadership(
  db: Db,
  input: { holder: string; url: string; ttlMs: number; force?: boolean },
): Promise<boolean> {
  const until = sql`now() + ${input.ttlMs}::float8 * interval '1 millisecond'`;
  const rows = await db
    .insert(controlLeader)
    .values({ id: 1, holder: input.holder, url: input.url, leaseUntil: until })
    .onConflictDoUpdate({
      target: controlLeader.id,
      set: {
        holder: input.holder,
        url: input.url,
        leaseUntil: until,
        since: sql`case when ${controlLeader.holder} = ${input.holder} then ${controlLeader.since} else now() end`,
      },
      ...(input.force
        ? {}
        : {
            setWhere: or(
              eq(controlLeader.holder, input.holder),
              sql`${controlLeader.leaseUntil} < now()`,
            ),
          }),
    })
    .returning({ holder: controlLeader.holder });
  return rows[0]?.holder === input.holder;
}

/** The active control, or null when none ever was. */
export async function getLeader(db: Db): Promise<Leader | null> {
  const [row] = await db
    .select({
      holder: controlLeader.holder,
      url: controlLeader.url,
      since: controlLeader.since,
      live: sql<boolean>`${controlLeader.leaseUntil} >= now()`,
    })
    .from(controlLeader)
    .where(eq(controlLeader.id, 1));
  return row ?? null;
}

/** Gives the lease up (a clean shutdown): a standby takes over at once. */
export async function releaseLeadership(db: Db, holder: string): Promise<void> {
  await db
    .update(controlLeader)
    .set({ leaseUntil: sql`now()` })
    .where(eq(controlLeader.holder, holder));
}

/**
 * Ends the run leases of every control but `holder` (a control that just became active:
 * the others are gone), so it takes their runs over now rather than when each lapses.
 */
export async function endOthersRunLeases(db: Db, holder: string): Promise<number> {
  const ended = await db
    .update(runs)
    .set({ leaseUntil: sql`now()` })
    .where(
      and(
        inArray(runs.status, [...ACTIVE_STATUSES]),
        ne(runs.coordinator, holder),
        sql`${runs.leaseUntil} > now()`,
      ),
    )
    .returning({ id: runs.id });
  return ended.length;
}
