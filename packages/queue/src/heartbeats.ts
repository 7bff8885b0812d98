import { AgentMessage, type Heartbeat } from '@loadline/api';
import type { Redis } from 'ioredis';
import type { RedisNames } from './names.js';

export type { Heartbeat } from '@loadline/api';

/** An agent whose heartbeat is older than this is gone. */
export const HEARTBEAT_TTL_S = 10;

export async function writeHeartbeat(
  redis: Redis,
  names: RedisNames,
  heartbeat: Heartbeat,
): Promise<void> {
  await redis
    .multi()
    .set(names.agent(heartbeat.agentId), JSON.stringify(heartbeat), 'EX', HEARTBEAT_TTL_S)
    .zadd(names.agents, heartbeat.at, heartbeat.agentId)
    .exec();
}

export async function removeAgent(redis: Redis, names: RedisNames, agentId: string): Promise<void> {
  await redis.multi().del(names.agent(agentId)).zrem(names.agents, agentId).exec();
}

/** Agents with a live heartbeat, newest first; expired ones are pruned on the way. */
export async function listAgents(redis: Redis, names: RedisNames): Promise<Heartbeat[]> {
  const ids = await redis.zrevrange(names.agents, 0, -1);
  if (ids.length === 0) return [];
  const values = await redis.mget(...ids.map((id) => names.agent(id)));
  const live: Heartbeat[] = [];
  const gone: string[] = [];
  values.forEach((value, i) => {
    const parsed = value === null ? undefined : AgentMessage.safeParse(JSON.parse(value));
    if (parsed?.success && parsed.data.type === 'heartbeat') live.push(parsed.data);
    else gone.push(ids[i] as string);
  });
  if (gone.length > 0) await redis.zrem(names.agents, ...gone);
  return live;
}
