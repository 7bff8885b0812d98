// A real control for the fleet simulation, as a process of its own: `Control.start` with the
// configuration `loadline control` builds from the environment (REDIS_URL, LOADLINE_API,
// LOADLINE_DATA_DIR, LOADLINE_NAMESPACE; embedded ClickHouse and PGlite unless
// CLICKHOUSE_URL / DATABASE_URL say otherwise). Once it listens it prints one JSON line:
// its URL, an admin API token and an agent enrollment token, both issued the way
// `loadline up` issues its own. SIGTERM or SIGINT closes it.
//   node bench/lib/fleet-control.mjs
import { Control, configFromEnv } from '@loadline/control';

const control = await Control.start(
  configFromEnv(process.env, {
    log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
  }),
);
const adminToken = await control.issueMachineToken('fleet-sim');
const agentToken = await control.issueAgentToken('fleet-sim-agents');
process.stdout.write(`${JSON.stringify({ url: control.url, adminToken, agentToken })}\n`);

let closing = false;
const close = async () => {
  if (closing) return;
  closing = true;
  await control.close().catch((error) => process.stderr.write(`close: ${error.message}\n`));
  process.exit(0);
};
process.on('SIGTERM', close);
process.on('SIGINT', close);
