import { Agent, agentOptionsFromEnv } from '@loadline/agent';
import { ApiProblem, ApiUnreachable } from '@loadline/api/http';
import type { CliEnv } from '@loadline/config';
import { redactUrl } from '@loadline/config';
import { redisAnswers } from '@loadline/queue';
import { capacityPath, readCapacity } from '../capacity-file.js';
import { UsageError } from '../exit-codes.js';
import { redisWhere } from './control.js';

export interface AgentCommandOptions {
  redis?: string;
  namespace?: string;
  id?: string;
  api?: string;
  capacity?: string;
  once?: boolean;
}

/** `--capacity N`, else what `loadline bench --save-capacity` saved here, else unknown. */
function capacityOf(option: string | undefined, xdgConfigHome: string | undefined) {
  if (option !== undefined) {
    const value = Number(option);
    if (option.trim() === '' || !Number.isFinite(value) || value <= 0) {
      throw new UsageError('--capacity', `expected requests per second (> 0), got "${option}"`);
    }
    return value;
  }
  try {
    return readCapacity(capacityPath(xdgConfigHome))?.requestsPerSecond;
  } catch (error) {
    throw new UsageError(undefined, (error as Error).message);
  }
}

/** `loadline agent`: a load generator that serves the fleet until interrupted. */
export async function runAgent(
  options: AgentCommandOptions,
  stderr: NodeJS.WritableStream,
  env: Pick<
    CliEnv,
    | 'REDIS_URL'
    | 'LOADLINE_NAMESPACE'
    | 'LOADLINE_API'
    | 'LOADLINE_AGENT_TOKEN'
    | 'LOADLINE_REDIS_CA'
    | 'REDIS_SENTINELS'
    | 'REDIS_SENTINEL_MASTER'
    | 'REDIS_SENTINEL_PASSWORD'
    | 'REDIS_CLUSTER_NODES'
    | 'XDG_CONFIG_HOME'
  >,
): Promise<number> {
  if (
    options.redis !== undefined &&
    URL.canParse(options.redis) &&
    new URL(options.redis).password
  ) {
    throw new UsageError(
      '--redis',
      'a password in a flag shows in `ps` to every user of this machine: set REDIS_URL instead',
    );
  }
  const capacityRps = capacityOf(options.capacity, env.XDG_CONFIG_HOME);
  const fromEnv = agentOptionsFromEnv(env);
  if (!fromEnv.enroll) {
    throw new UsageError(
      undefined,
      'an agent enrolls with control: set LOADLINE_AGENT_TOKEN to an agent token (`loadline token create --role agent`) and point --api (or LOADLINE_API) at control',
    );
  }
  const agentOptions = agentOptionsFromEnv(env, {
    enroll: { ...fromEnv.enroll, ...(options.api === undefined ? {} : { api: options.api }) },
    ...(options.redis === undefined ? {} : { redisUrl: options.redis }),
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    ...(options.id === undefined ? {} : { agentId: options.id }),
    ...(capacityRps === undefined ? {} : { capacityRps }),
    ...(options.once ? { once: true } : {}),
    log: (line) => stderr.write(`${new Date().toISOString()} ${line}\n`),
  });
  const { redisUrl, redisTopology } = agentOptions;
  if (!(await redisAnswers(redisUrl, 2000, agentOptions.redisCa, redisTopology))) {
    throw new UsageError(
      redisTopology ? undefined : '--redis',
      `no Redis answers ${redisWhere({ redisUrl, redisTopology })}`,
    );
  }
  const agent = await Agent.start(agentOptions).catch((error: unknown) => {
    if (error instanceof ApiProblem || error instanceof ApiUnreachable) {
      throw new UsageError(undefined, `could not enroll with control: ${(error as Error).message}`);
    }
    throw error;
  });
  stderr.write(
    `agent ${agent.agentId} waiting for ${options.once ? 'one shard' : 'shards'} on ${redactUrl(redisUrl)} (Ctrl-C stops)\n`,
  );
  const ranItsShard = await new Promise<boolean>((resolve) => {
    process.once('SIGINT', () => resolve(false));
    process.once('SIGTERM', () => resolve(false));
    if (options.once) agent.done.then(() => resolve(true));
  });
  await agent.stop();
  if (ranItsShard) stderr.write(`agent ${agent.agentId} ran its shard; exiting (--once)\n`);
  return 0;
}
