#!/usr/bin/env node
// `npm run demo`: the demo mall in the foreground until Ctrl-C.
import { DemoMallEnv, EnvError, parseEnv } from '@loadline/config';
import { banner, parseCli, USAGE, UsageError } from './cli.js';
import { startDemoMall } from './server.js';

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseCli>;
  try {
    // The environment is read here only, once (DemoMallEnv); flags override it.
    parsed = parseCli(process.argv.slice(2), parseEnv(DemoMallEnv, process.env));
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof EnvError)) throw error;
    process.stderr.write(`demo mall: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  let mall: Awaited<ReturnType<typeof startDemoMall>>;
  try {
    mall = await startDemoMall({ ...parsed.options, log });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'EADDRINUSE'
        ? `port ${parsed.config.port} (or a service port) is in use; pick another with --port`
        : (error as Error).message;
    process.stderr.write(`demo mall: ${message}\n`);
    return code === 'EADDRINUSE' ? 2 : 4;
  }
  process.stdout.write(banner(mall, parsed.config));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  // A second Ctrl-C while closing exits at once.
  process.once('SIGINT', () => process.exit(130));
  await mall.close();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`demo mall: internal error: ${(error as Error).stack ?? error}\n`);
    process.exitCode = 4;
  },
);
