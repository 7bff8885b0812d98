import { Agent, agentOptionsFromEnv } from '@loadline/agent';
import type { CliEnv } from '@loadline/config';
import { redisAnswers } from '@loadline/queue';
import { UsageError } from '../exit-codes.js';

export interface AgentCommandOptions {
  redis?: string;
  namespace?: string;
  id?: string;
}

/** `loadline agent`: a load generator that serves the fleet until interrupted. */
export async function runAgent(
  options: AgentCommandOptions,
  stderr: NodeJS.WritableStream,
  env: Pick<CliEnv, 'REDIS_URL' | 'LOADLINE_NAMESPACE'>,
): Promise<number> {
  const agentOptions = agentOptionsFromEnv(env, {
    ...(options.redis === undefined ? {} : { redisUrl: options.redis }),
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    ...(options.id === undefined ? {} : { agentId: options.id }),
    log: (line) => stderr.write(`${new Date().toISOString()} ${line}\n`),
  });
  const { redisUrl } = agentOptions;
  if (!(await redisAnswers(redisUrl, 2000))) {
    throw new UsageError('--redis', `no Redis answers at ${redisUrl}`);
  }
  const agent = await Agent.start(agentOptions);
  stderr.write(`agent ${agent.agentId} waiting for shards on ${redisUrl} (Ctrl-C stops)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await agent.stop();
  return 0;
}
