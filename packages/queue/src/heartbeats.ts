import { AgentMessage, type Heartbeat } from '@loadline/api';
import type { Redis } from './connection.js';
import type { RedisNames } from './names.js';
import type { AgentSigner, AgentVerifier } from './signing.js';

export type { Heartbeat } from '@loadline/api';

/** An agent whose heartbeat is older than this is gone. */
export const HEARTBEAT_TTL_S = 10;

/** An agent's liveness, signed with its key (control counts only enrolled agents as alive). */
export async function writeHeartbeat(
  redis: Redis,
  names: RedisNames,
  heartbeat: Heartbeat,
  signer: AgentSigner,
): Promise<void> {
  const text = JSON.stringify(heartbeat);
  await redis
    .multi()
    .set(
      names.agent(heartbeat.agentId),
      JSON.stringify({ p: text, s: signer.sign(text) }),
      'EX',
      HEARTBEAT_TTL_S,
    )
    .zadd(names.agents, heartbeat.at, heartbeat.agentId)
    .exec();
}

export async function removeAgent(redis: Redis, names: RedisNames, agentId: string): Promise<void> {
  await redis.multi().del(names.agent(agentId)).zrem(names.agents, agentId).exec();
}

/**
 * Agents with a live heartbeat signed by an enrolled agent, newest first; expired ones are
 * pruned on the way, and one nobody enrolled signed is not an agent.
 */
export async function listAgents(
  redis: Redis,
  names: RedisNames,
  verifier: AgentVerifier,
): Promise<Heartbeat[]> {
  const ids = await redis.zrevrange(names.agents, 0, -1);
  if (ids.length === 0) return [];
  const values = await redis.mget(...ids.map((id) => names.agent(id)));
  const live: Heartbeat[] = [];
  const gone: string[] = [];
  for (const [i, value] of values.entries()) {
    const id = ids[i] as string;
    const heartbeat = value === null ? undefined : await verifiedHeartbeat(value, id, verifier);
    if (heartbeat) live.push(heartbeat);
    else gone.push(id);
  }
  if (gone.length > 0) await redis.zrem(names.agents, ...gone);
  return live;
}

async function verifiedHeartbeat(
  value: string,
  agentId: string,
  verifier: AgentVerifier,
): Promise<Heartbeat | undefined> {
  let sealed: { p?: unknown; s?: unknown };
  try {
    sealed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof sealed?.p !== 'string' || typeof sealed.s !== 'string') return undefined;
  if (!(await verifier.verify(agentId, sealed.p, sealed.s))) return undefined;
  let parsed: ReturnType<typeof AgentMessage.safeParse>;
  try {
    parsed = AgentMessage.safeParse(JSON.parse(sealed.p));
  } catch {
    return undefined;
  }
  return parsed.success && parsed.data.type === 'heartbeat' && parsed.data.agentId === agentId
    ? parsed.data
    : undefined;
}
