import { asc, getTableColumns, lt, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from './db.js';
import { validate } from './errors.js';
import { ProcessId } from './inputs.js';
import { agents } from './schema.js';

export type Agent = typeof agents.$inferSelect;

/** An agent as listed: with the age of its last heartbeat on the database clock. */
export type AgentStatus = Agent & { heartbeatAgeMs: number };

export const HeartbeatInput = z.strictObject({
  id: ProcessId,
  host: z.string().min(1).max(255),
  pid: z.number().int().min(0),
  version: z.string().min(1).max(100),
  /** The run the agent is working on; null or omitted when idle. */
  currentRunId: z.string().min(1).max(100).nullish(),
});
export type HeartbeatInput = z.input<typeof HeartbeatInput>;

export const ListAgentsQuery = z.strictObject({
  /** Only agents heard from within this many milliseconds. */
  maxAgeMs: z.number().int().min(0).optional(),
});
export type ListAgentsQuery = z.input<typeof ListAgentsQuery>;

/** Database-clock age, so agents and control replicas with skewed clocks agree. */
const ageMs = sql<number>`(extract(epoch from (now() - ${agents.lastHeartbeatAt})) * 1000)::float8`;

/** Records that an agent is alive (registering it on first contact). */
export async function heartbeat(db: Db, input: HeartbeatInput): Promise<Agent> {
  const agent = validate('heartbeat', HeartbeatInput, input);
  const values = { ...agent, currentRunId: agent.currentRunId ?? null };
  const [row] = await db
    .insert(agents)
    .values(values)
    .onConflictDoUpdate({
      target: agents.id,
      set: {
        host: values.host,
        pid: values.pid,
        version: values.version,
        currentRunId: values.currentRunId,
        lastHeartbeatAt: sql`now()`,
      },
    })
    .returning();
  return row!;
}

/** Agents by id, each with its heartbeat age. */
export async function listAgents(db: Db, query: ListAgentsQuery = {}): Promise<AgentStatus[]> {
  const { maxAgeMs } = validate('agent query', ListAgentsQuery, query);
  const rows = await db
    .select({ ...getTableColumns(agents), heartbeatAgeMs: ageMs })
    .from(agents)
    .where(
      maxAgeMs === undefined
        ? undefined
        : sql`${agents.lastHeartbeatAt} >= now() - ${maxAgeMs}::float8 * interval '1 millisecond'`,
    )
    .orderBy(asc(agents.id));
  return rows.map((row) => ({ ...row, heartbeatAgeMs: Math.max(0, Number(row.heartbeatAgeMs)) }));
}

/** Forgets agents silent for longer than `olderThanMs`; returns how many. */
export async function pruneAgents(db: Db, olderThanMs: number): Promise<number> {
  const ms = validate('age', z.number().int().min(0), olderThanMs);
  const removed = await db
    .delete(agents)
    .where(lt(agents.lastHeartbeatAt, sql`now() - ${ms}::float8 * interval '1 millisecond'`))
    .returning({ id: agents.id });
  return removed.length;
}
