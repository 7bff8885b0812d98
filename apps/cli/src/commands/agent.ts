import { Agent } from '@loadline/agent';
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
): Promise<number> {
  const redisUrl = options.redis ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (!(await redisAnswers(redisUrl, 2000))) {
    throw new UsageError('--redis', `no Redis answers at ${redisUrl}`);
  }
  const agent = await Agent.start({
    redisUrl,
    namespace: options.namespace ?? process.env.LOADLINE_NAMESPACE ?? 'loadline',
    ...(options.id === undefined ? {} : { agentId: options.id }),
    log: (line) => stderr.write(`${new Date().toISOString()} ${line}\n`),
  });
  stderr.write(`agent ${agent.agentId} waiting for shards on ${redisUrl} (Ctrl-C stops)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await agent.stop();
  return 0;
}
