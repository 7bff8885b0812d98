import { readFileSync } from 'node:fs';
import {
  AgentEnv,
  DEFAULT_REDIS_URL,
  parseEnv,
  type RawEnv,
  redisTopology,
} from '@loadline/config';
import type { AgentOptions } from './agent.js';

/**
 * An agent's options from its environment (AgentEnv, parsed here once at start: nothing
 * else in the agent reads process.env) and the caller's overrides (flags). A bad variable
 * throws EnvError naming it.
 */
export function agentOptionsFromEnv(
  env: RawEnv,
  overrides: AgentOptions = {},
): AgentOptions & { redisUrl: string; namespace: string } {
  const parsed = parseEnv(AgentEnv, env);
  const topology = redisTopology(parsed);
  return {
    redisUrl: parsed.REDIS_URL ?? DEFAULT_REDIS_URL,
    ...(topology ? { redisTopology: topology } : {}),
    namespace: parsed.LOADLINE_NAMESPACE,
    ...(parsed.LOADLINE_REDIS_CA
      ? { redisCa: readFileSync(parsed.LOADLINE_REDIS_CA, 'utf8') }
      : {}),
    ...(parsed.LOADLINE_AGENT_TOKEN
      ? { enroll: { api: parsed.LOADLINE_API, token: parsed.LOADLINE_AGENT_TOKEN } }
      : {}),
    ...overrides,
  };
}
