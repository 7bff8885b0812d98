// One host of the fleet test: N agents in this process (each its own enrollment, Redis
// connections and shard worker), as a machine runs them. Lighter than N processes on a
// 2-core test machine, where 20 idle Node processes alone would starve the load.
// argv: count idPrefix; env: LOADLINE_API, LOADLINE_AGENT_TOKEN, REDIS_URL, LOADLINE_NAMESPACE.
import { Agent } from '@loadline/agent';

const [count, prefix] = process.argv.slice(2);
const env = process.env;
const agents = await Promise.all(
  Array.from({ length: Number(count) }, (_, i) =>
    Agent.start({
      redisUrl: env.REDIS_URL,
      namespace: env.LOADLINE_NAMESPACE,
      agentId: `${prefix}-${i + 1}`,
      enroll: { api: env.LOADLINE_API, token: env.LOADLINE_AGENT_TOKEN },
      log: (line) => process.stderr.write(`${prefix}: ${line}\n`),
    }),
  ),
);
const stop = async () => {
  await Promise.all(agents.map((agent) => agent.stop()));
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
