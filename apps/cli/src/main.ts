// zod-free: the help text's defaults without loading the schemas
import {
  DEFAULT_API_PORT,
  DEFAULT_API_URL,
  DEFAULT_DATA_DIR,
  DEFAULT_NAMESPACE,
  DEFAULT_REDIS_URL,
} from '@loadline/config/defaults';
import { Command, CommanderError, Option } from 'commander';
import { API_ENV } from './api-env.js';
import { STORES_HELP } from './commands/verify-help.js';
import { type CliEnvReader, cliEnvOnce } from './env.js';
import { ExitCode, UsageError } from './exit-codes.js';
import { addAccessCommands } from './program-access.js';

const VERSION = '0.1.0';

/**
 * Commands load their modules only when they run: `loadline bench` must not pay for the
 * control plane's storage engines (chdb alone maps hundreds of MB) it never uses.
 */
const load = {
  agent: () => import('./commands/agent.js'),
  bench: () => import('./commands/bench.js'),
  capacity: () => import('./commands/capacity.js'),
  capacityValidate: () => import('./commands/capacity-validate.js'),
  capacityProbe: () => import('./commands/capacity-probe.js'),
  control: () => import('./commands/control.js'),
  exportK6: () => import('./commands/export-k6.js'),
  import: () => import('./commands/import.js'),
  fleet: () => import('./commands/fleet.js'),
  report: () => import('./commands/report.js'),
  run: () => import('./commands/run.js'),
  runK6: () => import('./commands/run-k6.js'),
  schedule: () => import('./commands/schedule.js'),
  up: () => import('./commands/up.js'),
  validate: () => import('./commands/validate.js'),
  verify: () => import('./commands/verify.js'),
};

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--allow-path DIR` of the commands that read feeder files (run, validate, schedule add). */
/** A k6 script, run by the k6 runner (checked here so a scenario run never loads it). */
const K6_SCRIPT = /\.(js|mjs|cjs|ts|mts)$/i;

/** `run`'s flags that mean something only for a k6 script: given with a scenario, exit 2. */
const K6_ONLY_FLAGS: ReadonlyArray<[option: string, flag: string]> = [
  ['env', '--env'],
  ['host', '--host'],
  ['summaryExport', '--summary-export'],
  ['vus', '--vus'],
  ['iterations', '--iterations'],
  ['executionSegment', '--execution-segment'],
  ['target', '--target'],
];

function refuseK6Flags(options: Record<string, unknown>): void {
  for (const [option, flag] of K6_ONLY_FLAGS) {
    if (options[option] !== undefined) {
      throw new UsageError(flag, 'applies to k6 scripts (.js, .ts) only, not to scenarios');
    }
  }
  if (options.includeSystemEnvVars === false) {
    throw new UsageError(
      '--no-include-system-env-vars',
      'applies to k6 scripts (.js, .ts) only, not to scenarios',
    );
  }
  if (options.thresholds === false) {
    throw new UsageError(
      '--no-thresholds',
      'applies to k6 scripts (.js, .ts) only, not to scenarios',
    );
  }
}

function allowPathOption(): Option {
  return new Option(
    '--allow-path <dir>',
    'also read feeder files under this folder (repeatable; default: the scenario file’s folder only)',
  ).argParser(collect);
}

function buildProgram(setExit: (code: number) => void, env: CliEnvReader): Command {
  const program = new Command('loadline')
    .description('Full-link load testing and capacity planning')
    .version(VERSION)
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      // commander's own errors ("unknown option '--x'") become one line on stderr.
      outputError: (text, write) =>
        write(
          `loadline: ${text
            .replace(/^error: /, '')
            .trim()
            .replace(/\s*\n\s*/g, ' ')}\n`,
        ),
    });

  program
    .command('bench')
    .description(
      'Load one HTTP endpoint: open model (--rate/--stages, latency from the intended send time) or closed model (--connections)',
    )
    .option('--url <url>', 'absolute http:// or https:// URL to load')
    .option('--method <method>', 'HTTP method', 'GET')
    .option('--header <header>', "request header 'Name: value' (repeatable)", collect)
    .option('--body <body>', 'request body, or @file to read it from a file')
    .option('--rate <rps>', 'open model: constant arrival rate in requests per second')
    .option(
      '--stages <list>',
      "open model: ramping stages 'DURATION:RATE,…' (e.g. 30s:1000,60s:5000)",
    )
    .option('--connections <n>', 'closed model: connections each sending back to back')
    .option('--duration <duration>', 'how long to send (e.g. 30s, 1m30s)')
    .option(
      '--max-in-flight <n>',
      'open model: requests in flight before arrivals are dropped',
      undefined,
    )
    .option('--pipelining <n>', 'requests in flight per connection (HTTP/1.1 pipelining)')
    .option('--timeout <duration>', 'fail a request unanswered after this long', undefined)
    .addOption(new Option('--insecure', 'accept any TLS certificate'))
    .option('--json', 'print one JSON object with the result on stdout')
    .option('--hlog <file>', 'write per-second histograms as an HdrHistogram interval log')
    .option(
      '--save-capacity',
      "save the rate sent while keeping up as one agent's capacity on this machine (loadline agent reports it; control refuses runs its agents cannot carry)",
    )
    .action(async (options) =>
      setExit(await (await load.bench()).runBench(options, process, await env('XDG_CONFIG_HOME'))),
    );

  program
    .command('run')
    .description(
      "Run a scenario on the fleet through control, or in this process with --local; a k6 script (.js/.ts) runs unchanged, on the fleet (each agent its share of every scenario, thresholds judged on every agent's metrics merged) or with --local, and exits with k6's codes (0, 99 thresholds, 104 invalid options, 105 stopped, 107 script error, 108 exec.test.abort, 110 exec.test.fail)",
    )
    .argument('<file>', 'scenario file (YAML or JSON), or a k6 script (.js, .ts)')
    .option('--api <url>', `control API (default $LOADLINE_API or ${DEFAULT_API_URL})`)
    .option(
      '--wait',
      'follow the run; exit 0 passed, 1 thresholds failed, 3 aborted, 5 invalid (an agent saturated)',
    )
    .option('--local', 'run in this process instead (targets on 127.0.0.0/8, ::1, localhost only)')
    .option('--json', 'print one JSON object with the result')
    .option('--agents <n>', 'shards (agents) to split the run into; default the scenario’s')
    .option('--environment <name>', 'environment whose allowlist applies; default the scenario’s')
    .option('--duration <duration>', 'override the duration')
    .option('--rate-multiplier <x>', 'scale the arrival rate or the VU count')
    .addOption(allowPathOption())
    .addOption(
      new Option('-e, --env <KEY=VALUE>', 'k6 scripts: a __ENV variable (repeatable)').argParser(
        collect,
      ),
    )
    .addOption(
      new Option(
        '--host <NAME=ADDRESS>',
        "k6 scripts: connect to ADDRESS[:PORT] for hostname NAME, as k6's hosts option (repeatable; the address is what the allowlist checks)",
      ).argParser(collect),
    )
    .option('--summary-export <file>', "k6 scripts: write k6's JSON summary to this file")
    .option('--no-thresholds', "k6 scripts: don't judge the script's thresholds")
    .option(
      '--no-include-system-env-vars',
      "k6 scripts: leave this process's environment out of __ENV (as k6 run, it is in by default)",
    )
    .option(
      '--target <url>',
      "k6 scripts on the fleet: the system under test, checked against the environment's allowlist before the launch (default: the first --host address, or the first URL among the -e values)",
    )
    .option('--vus <n>', "k6 scripts: override the script's VUs")
    .option('--iterations <n>', "k6 scripts: override the script's iterations")
    .option(
      '--execution-segment <from:to>',
      "k6 scripts: run this instance's share of every scenario, as k6 does (0:1/2 and 1/2:1 on two machines)",
    )
    .action(async (file: string, options) => {
      if (!K6_SCRIPT.test(file)) refuseK6Flags(options);
      setExit(
        K6_SCRIPT.test(file) && options.local
          ? await (await load.runK6()).runK6Locally(
              file,
              options,
              process,
              await env('LOADLINE_K6_MODULES', 'LOADLINE_SATURATION'),
              process.env,
            )
          : K6_SCRIPT.test(file)
            ? await (await load.runK6()).runK6OnFleet(
                file,
                options,
                process,
                await env(...API_ENV, 'LOADLINE_K6_MODULES'),
              )
            : options.local
              ? await (await load.run()).runLocally(
                  file,
                  options,
                  process,
                  await env('LOADLINE_SATURATION'),
                )
              : await (await load.fleet()).runOnFleet(
                  file,
                  options,
                  process,
                  await env(...API_ENV),
                ),
      );
    });

  program
    .command('runs')
    .description('List recent runs')
    .option('--api <url>', 'control API')
    .option('--json', 'print JSON')
    .action(async (options) =>
      setExit(await (await load.fleet()).listRuns(options, process.stdout, await env(...API_ENV))),
    );

  program
    .command('report')
    .description(
      'A finished run’s report: json, md, csv, hlog (merged per-second HdrHistograms) or junit',
    )
    .argument('<run>', 'run id')
    .option('--format <format>', 'json | md | csv | hlog | junit', 'json')
    .option('--out <file>', 'write to a file instead of stdout')
    .option('--api <url>', 'control API')
    .action(async (runId: string, options) =>
      setExit(
        await (await load.report()).runReport(
          runId,
          options,
          process.stdout,
          await env(...API_ENV),
        ),
      ),
    );

  program
    .command('stop')
    .description('Stop a run: every agent stops within a second or two')
    .argument('<run>', 'run id')
    .option('--api <url>', 'control API')
    .option('--json', 'print JSON')
    .action(async (runId: string, options) =>
      setExit(
        await (await load.fleet()).stopRun(runId, options, process.stdout, await env(...API_ENV)),
      ),
    );

  program
    .command('rate')
    .description(
      "Change a running open-model run's rate on every agent within a second: its scenario's rate × MULTIPLIER",
    )
    .argument('<run>', 'run id')
    .argument('<multiplier>', '2 doubles the rate, 0.5 halves it, 1 goes back to the plan')
    .option('--api <url>', 'control API')
    .option('--json', 'print JSON')
    .action(async (runId: string, multiplier: string, options) =>
      setExit(
        await (await load.fleet()).setRunRate(
          runId,
          multiplier,
          options,
          process.stdout,
          await env(...API_ENV),
        ),
      ),
    );

  const schedule = program
    .command('schedule')
    .description('Run scenarios on a cron schedule (nightly, pre-promotion rehearsals)');
  schedule
    .command('add')
    .description('Save a scenario and run it on a cron schedule')
    .argument('<file>', 'scenario file')
    .option('--cron <expr>', 'cron expression: 5 fields, or 6 with seconds first')
    .option('--name <name>', 'schedule name (default the scenario name)')
    .option('--tz <zone>', 'IANA time zone (default UTC)')
    .option('--agents <n>', 'agents per run')
    .option('--environment <name>', 'environment whose allowlist applies')
    .addOption(allowPathOption())
    .option('--api <url>', 'control API')
    .option('--json', 'print JSON')
    .action(async (file: string, options) =>
      setExit(
        await (await load.schedule()).addSchedule(file, options, process, await env(...API_ENV)),
      ),
    );
  schedule
    .command('list')
    .description('List schedules')
    .option('--api <url>', 'control API')
    .option('--json', 'print JSON')
    .action(async (options) =>
      setExit(await (await load.schedule()).listSchedules(options, process, await env(...API_ENV))),
    );
  schedule
    .command('rm')
    .description('Remove a schedule')
    .argument('<schedule>', 'schedule name or id')
    .option('--api <url>', 'control API')
    .option('--json', 'print JSON')
    .action(async (name: string, options) =>
      setExit(
        await (await load.schedule()).removeSchedule(name, options, process, await env(...API_ENV)),
      ),
    );

  program
    .command('control')
    .description('Run the control plane (API, coordinator, ingest) in the foreground')
    .option('--port <port>', `API port (default ${DEFAULT_API_PORT}, or $LOADLINE_API)`)
    .option(
      '--data <dir>',
      `embedded state directory (default $LOADLINE_DATA_DIR or ${DEFAULT_DATA_DIR})`,
    )
    .option(
      '--namespace <ns>',
      `Redis key namespace shared with agents (default $LOADLINE_NAMESPACE or ${DEFAULT_NAMESPACE})`,
    )
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'and this private key (PEM)')
    .option(
      '--insecure-http',
      'listen beyond loopback without TLS (only behind a TLS-terminating proxy you trust)',
    )
    .action(async (options) =>
      setExit(await (await load.control()).runControl(options, process.stderr, await env())),
    );

  program
    .command('validate')
    .description('Check a scenario file (YAML or JSON): every problem with its line:column')
    .argument('<file>', 'scenario file')
    .option('--json', 'print { file, valid, errors: [{ path, message, line, column }] }')
    .addOption(allowPathOption())
    .action(async (file: string, options) =>
      setExit(
        await (await load.validate()).runValidate(file, options, process.stdout, process.stderr),
      ),
    );

  program
    .command('export')
    .description("Write a scenario in another tool's format")
    .command('k6')
    .description(
      'Write a scenario as a k6 script of the same model: an arrival-rate (open) or constant-vus (closed) k6 scenario per flow by weight, tagged requests, checks, extraction, feeders (SharedArray), thresholds and guardrails (abortOnFail), secrets from __ENV',
    )
    .argument('<file>', 'scenario file (YAML or JSON)')
    .option('--out <file>', 'the script to write (default: FILE with .k6.js for its extension)')
    .option('--json', 'print { out, warnings }')
    .addOption(allowPathOption())
    .action(async (file: string, options) =>
      setExit(await (await load.exportK6()).runExportK6(file, options, process)),
    );

  program
    .command('agent')
    .description('Run a load-generator agent that claims shards from control through Redis')
    .option('--redis <url>', `Redis URL (default $REDIS_URL or ${DEFAULT_REDIS_URL})`)
    .option(
      '--namespace <ns>',
      `Redis key namespace shared with control (default $LOADLINE_NAMESPACE or ${DEFAULT_NAMESPACE})`,
    )
    .option('--id <id>', 'agent id (default host-pid-random)')
    .option(
      '--api <url>',
      'the control API it enrolls with (default $LOADLINE_API); the agent token comes in $LOADLINE_AGENT_TOKEN',
    )
    .option(
      '--once',
      'run one shard, then exit (a pod of an Indexed Job per run: infra/k8s/jobs/agents-run.yaml)',
    )
    .option(
      '--capacity <rps>',
      'requests/s this agent carries (default: what `loadline bench --save-capacity` saved on this machine)',
    )
    .action(async (options) =>
      setExit(
        await (await load.agent()).runAgent(
          options,
          process.stderr,
          await env(
            'REDIS_URL',
            'LOADLINE_NAMESPACE',
            'LOADLINE_API',
            'LOADLINE_AGENT_TOKEN',
            'LOADLINE_REDIS_CA',
            'REDIS_SENTINELS',
            'REDIS_SENTINEL_MASTER',
            'REDIS_SENTINEL_PASSWORD',
            'REDIS_CLUSTER_NODES',
            'XDG_CONFIG_HOME',
          ),
        ),
      ),
    );

  program
    .command('up')
    .description('Start the embedded stack: control, N local agents and the demo mall')
    .option('--agents <n>', 'local agent processes', '2')
    .option('--port <port>', 'control API port', String(DEFAULT_API_PORT))
    .option('--demo-port <port>', 'port of the demo mall', '8080')
    .option('--console-port <port>', 'port of the console', '3000')
    .option(
      '--data <dir>',
      `embedded state directory (default $LOADLINE_DATA_DIR or ${DEFAULT_DATA_DIR})`,
    )
    .option(
      '--namespace <ns>',
      `Redis key namespace (default $LOADLINE_NAMESPACE or ${DEFAULT_NAMESPACE})`,
    )
    .action(async (options) =>
      setExit(
        await (await load.up()).runUp(
          options,
          process.stdout,
          process.stderr,
          await env(),
          process.env,
        ),
      ),
    );

  program
    .command('import')
    .description(
      'Import a capture (HAR, nginx/Apache access log, GoReplay .gor) into a replay corpus',
    )
    .argument('<file>', 'capture file')
    .option('--format <format>', 'har | access-log | gor (default: by extension, then content)')
    .option('--skip-bad', 'import the good records; count and list the bad ones')
    .option(
      '--keep-header <name>',
      'keep a header sanitising drops, e.g. authorization (repeatable)',
      collect,
    )
    .option(
      '--mask <field>',
      'mask query.NAME, header.NAME or body.PATH with *** (repeatable)',
      collect,
    )
    .option(
      '--remap <rule>',
      'move IDs to a shadow range: IN:SELECTOR=+OFFSET or IN:SELECTOR=MIN..MAX, e.g. path:/api/users/(\\d+)=+900000000 (repeatable)',
      collect,
    )
    .option('--host <host>', 'keep only requests to this host (repeatable)', collect)
    .option('--session-cookie <name>', 'cookie that identifies a session (default: common names)')
    .option('--include-failed', 'HAR: also replay requests that failed in the browser (status 0)')
    .option('--max-gap <ms>', 'shorten idle gaps longer than this')
    .option('--out <file>', 'write the corpus: .jsonl as JSON Lines, else one JSON document')
    .option('--json', 'print { format, requests, sessions, durationMs, skipped, errors, mix }')
    .option(
      '--api <url>',
      'store the corpus in control as a new version of --name; prints NAME@VERSION',
    )
    .option('--name <name>', 'corpus name in control (letters, digits, "_", "-", ".")')
    .action(async (file: string, options) =>
      setExit(
        await (await load.import()).runImport(file, options, process.stdout, await env(...API_ENV)),
      ),
    );

  program
    .command('verify')
    .description(
      'After a shadow run: check that none of its data reached production (exit 0 clean, 1 leaked, 2 bad input)',
    )
    .argument('<run>', 'run id')
    .option('--stores <file>', 'production stores and shadow ID ranges to search (format below)')
    .option('--api <url>', 'control API, for the run and its leak reports (default $LOADLINE_API)')
    .option(
      '--json',
      'print { runId, status, clean, checks: [{ store, kind, target, examined, found, detail }] }',
    )
    .addHelpText('after', `\n${STORES_HELP}`)
    .action(async (runId: string, options) =>
      setExit(
        await (await load.verify()).runVerify(runId, options, {
          stdout: process.stdout,
          env: await env(...API_ENV),
          vars: process.env,
        }),
      ),
    );

  const capacity = program
    .command('capacity')
    .description('Capacity model: USL fit, per-machine capacity and the machine plan');
  capacity
    .command('usl')
    .description('Fit the Universal Scalability Law to concurrency,throughput measurements')
    .option('--csv <file>', 'CSV with header concurrency,throughput')
    .option(
      '--json',
      'print { sigma, kappa, lambda, peak, r2, quality: { r2, relativeResidual, levels, verdict }, intervals: { sigma: [lo, hi], … }, … }',
    )
    .option('--min-r2 <r2>', 'a fit below this R² is poor (exit 1)', '0.9')
    .option(
      '--max-relative-residual <share>',
      'a fit whose residual standard error exceeds this share of the mean throughput is poor',
      '0.1',
    )
    .option('--min-levels <n>', 'fewer distinct concurrency levels than this is poor', '6')
    .option(
      '--max-linear-share <share>',
      'poor when the fit at the highest concurrency is above this share of linear (the ramp never bent)',
      '0.95',
    )
    .action(async (options) =>
      setExit(await (await load.capacity()).runCapacityUsl(options, process)),
    );
  capacity
    .command('fit')
    .description('Build a capacity model (capacities, curves, fan-out ratios, cost history)')
    .option(
      '--from <file>',
      'measurements JSON: { run?, services: { NAME: { cores, slo, ramp } }, fanout, costs? }',
    )
    .option(
      '--runs <ids>',
      'stored run IDs, comma-separated: their scraped target metrics and per-step seconds',
    )
    .option('--api <url>', `control API (default $LOADLINE_API or ${DEFAULT_API_URL})`)
    .option(
      '--cores <service=n>',
      'cores per machine of a service (repeatable; default 1)',
      collect,
    )
    .option('--slo-p99 <duration>', 'p99 objective of every service with --runs (default 500ms)')
    .option('--cpu-ceiling <share>', 'CPU ceiling of every service with --runs, 0..1')
    .option('--entry-steps <names>', 'steps that are entry requests (default: every step)')
    .option('--out <file>', 'write the model JSON to this file')
    .option('--json', 'print the model JSON on stdout')
    .action(async (options) =>
      setExit(
        await (await load.capacity()).runCapacityFit(options, process, await env(...API_ENV)),
      ),
    );
  capacity
    .command('plan')
    .description('The machine plan for a forecast, as a report; exit 1 when anything is unmet')
    .option('--model <file>', 'model JSON from `loadline capacity fit`')
    .option('--forecast <file>', 'forecast YAML: entries, utilisation, redundancy, zones')
    .option(
      '--format <format>',
      'json | md | csv | xlsx | pdf | html (default: by --out extension, else md)',
    )
    .option('--out <file>', 'write the report here (required for xlsx and pdf)')
    .option('--json', 'print the plan JSON on stdout, whatever --format')
    .option(
      '--quantile <q>',
      "plan each service at this quantile of its capacity's range, the median's count beside (default: the forecast's capacityQuantile, else 0.1)",
    )
    .action(async (options) =>
      setExit(
        await (await load.capacity()).runCapacityPlan(options, process, await env('CHROMIUM_PATH')),
      ),
    );
  capacity
    .command('validate')
    .description(
      "The plan's own proof: scale the demo mall to the plan, drive the forecast through the scenario's flows, and check each service's SLO (exit 0 held, 1 not)",
    )
    .option('--model <file>', 'model JSON from `loadline capacity fit`')
    .option('--forecast <file>', "forecast YAML; entry kinds are the flows' first steps")
    .option('--scenario <file>', 'scenario whose flows carry the entry requests')
    .option('--duration <duration>', 'how long to hold the forecast load (default 20s)')
    .option('--json', 'print { held, instances, requests, errorRate, services: [...] }')
    .action(async (options) =>
      setExit(
        await (await load.capacityValidate()).runCapacityValidate(
          options,
          process,
          await env('REDIS_URL'),
        ),
      ),
    );

  capacity
    .command('probe')
    .description(
      "One instance's redline on the traffic already flowing: control raises its weight at the gateway level by level until its SLO breaks, then puts the weights back (exit 0 found, 3 stopped, 4 failed)",
    )
    .option(
      '--environment <name>',
      "the environment whose weightDrivers move the service's traffic",
    )
    .option('--service <name>', 'the service, as its metricsTargets name it')
    .option(
      '--instance <n>',
      "which of the service's metricsTargets (and weights), from 0 (default 0)",
    )
    .option('--slo-p99 <ms>', "the instance's p99 objective in ms")
    .option('--cpu-ceiling <share>', 'the highest CPU utilisation allowed, 0..1')
    .option('--cores <n>', "cores of the instance's machine, for the CPU ceiling (default 1)")
    .option('--levels <n>', 'load levels, the first (the weights as found) a warm-up (default 8)')
    .option('--hold <duration>', 'how long each level is held (default 20s)')
    .option('--settle <duration>', 'the start of each level that is not measured (default 3s)')
    .option(
      '--max-share <share>',
      "the instance's share of the weight at the last level (default 0.9)",
    )
    .option('--run <id>', 'the run carrying the traffic: the probe ends when it does')
    .option('--no-wait', 'print the probe id and return; control runs it to the end')
    .option('--api <url>', `control API (default $LOADLINE_API or ${DEFAULT_API_URL})`)
    .option('--json', 'print the probe (levels, redline, weights restored) as JSON')
    .action(async (options) =>
      setExit(
        await (await load.capacityProbe()).runCapacityProbe(
          options,
          process,
          await env(...API_ENV),
        ),
      ),
    );

  addAccessCommands(program, setExit, env);
  return program;
}

async function main(): Promise<void> {
  let exitCode: number = ExitCode.passed;
  // The environment is read here only: parsed once (CliEnv), when a command first needs it.
  const env = cliEnvOnce(process.env);
  const program = buildProgram((code) => {
    exitCode = code;
  }, env);
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version exit 0; every parse error is bad usage.
      exitCode = error.exitCode === 0 ? ExitCode.passed : ExitCode.badInput;
    } else if (error instanceof UsageError || (error as Error)?.name === 'EnvError') {
      // An EnvError past the environment's parse: variables that contradict each other
      // (REDIS_SENTINELS with REDIS_CLUSTER_NODES), named in its message.
      process.stderr.write(`loadline: ${(error as Error).message}\n`);
      exitCode = ExitCode.badInput;
    } else {
      process.stderr.write(`loadline: internal error: ${(error as Error)?.stack ?? error}\n`);
      exitCode = ExitCode.internalError;
    }
  }
  process.exitCode = exitCode;
  // Nothing should be left running, but a stray keep-alive socket must not hang the CLI.
  setTimeout(() => process.exit(exitCode), 200).unref();
}

await main();
