/**
 * `loadline run script.js`: a k6 script, unchanged, in this process. Exit codes are k6's
 * (0, 99, 104, 105, 107, 108, 110) so CI written for k6 keeps working.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { K6Outcome, LOOPBACK_HOSTS } from '@loadline/api';
import { inspectK6Script, K6ExitCode, runK6Script, type SummaryData } from '@loadline/k6';
import { type ApiEnv, ApiProblem, ControlClient, controlApi } from '../control-client.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { ControlRefusal, launchAndWait, refused } from './fleet.js';
import { saturationOf } from './run.js';

export interface K6RunFlags {
  local?: boolean;
  /** on the fleet: control's API, follow the run, shards, environment, system under test */
  api?: string;
  wait?: boolean;
  agents?: string;
  environment?: string;
  target?: string;
  rateMultiplier?: string;
  json?: boolean;
  env?: string[];
  host?: string[];
  summaryExport?: string;
  thresholds?: boolean;
  vus?: string;
  iterations?: string;
  duration?: string;
  executionSegment?: string;
  /** false with `--no-include-system-env-vars` */
  includeSystemEnvVars?: boolean;
}

export interface K6Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

function pairs(
  values: string[] | undefined,
  flag: string,
  example: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values ?? []) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new UsageError(flag, `expected ${example}, got "${value}"`);
    out[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return out;
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[name] = value;
  return out;
}

function count(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(flag, `expected a whole number ≥ 1, got "${value}"`);
  return n;
}

function fraction(text: string): number | undefined {
  const t = text.trim();
  if (t.endsWith('%')) return Number(t.slice(0, -1)) / 100;
  const [a, b] = t.split('/');
  const value = b === undefined ? Number(a) : Number(a) / Number(b);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * `--execution-segment FROM:TO` (k6's syntax: `1/3:2/3`, `0:50%`, or just `TO` for `0:TO`)
 * as one of n equal segments: the split execution segments make, so shares add up exactly.
 */
export function segmentOf(text: string | undefined): { index: number; count: number } | undefined {
  if (text === undefined) return undefined;
  const [fromText, toText] = text.includes(':') ? text.split(':') : ['0', text];
  const from = fraction(fromText ?? '');
  const to = fraction(toText ?? '');
  const bad = (why: string) =>
    new UsageError(
      '--execution-segment',
      `${why}, got "${text}" (e.g. 0:1/2 and 1/2:1 for two instances)`,
    );
  if (from === undefined || to === undefined || from < 0 || to > 1 || from >= to) {
    throw bad('expected FROM:TO with 0 ≤ FROM < TO ≤ 1');
  }
  const count = Math.round(1 / (to - from));
  const index = Math.round(from * count);
  if (Math.abs(1 / count - (to - from)) > 1e-9 || Math.abs(index / count - from) > 1e-9) {
    throw bad('Loadline splits a run into equal segments: use i/n:(i+1)/n');
  }
  return { index, count };
}

/** Runs the script; returns k6's exit code. */
export async function runK6Locally(
  file: string,
  flags: K6RunFlags,
  io: K6Io,
  env: { LOADLINE_K6_MODULES?: string | undefined; LOADLINE_SATURATION?: string | undefined },
  systemEnv: Readonly<Record<string, string | undefined>> = {},
): Promise<number> {
  const entry = resolve(file);
  if (!existsSync(entry)) throw new UsageError(undefined, `${file}: no such file`);
  const { hosts, env: scriptEnv, overrides } = scriptFlags(flags);
  const segment = segmentOf(flags.executionSegment);
  const stop = new AbortController();
  const onSignal = () => {
    io.stderr.write('stopping (Ctrl-C again exits at once)\n');
    stop.abort();
    process.once('SIGINT', () => process.exit(K6ExitCode.externalAbort));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = Date.now();
  try {
    const result = await runK6Script({
      entry,
      // As `k6 run`: the process's environment is in __ENV unless told not; -e over it.
      env: {
        ...(flags.includeSystemEnvVars === false ? {} : definedOnly(systemEnv)),
        ...scriptEnv,
      },
      hosts,
      allowedHosts: LOOPBACK_HOSTS,
      remoteCacheDir:
        env.LOADLINE_K6_MODULES ?? join(homedir(), '.cache', 'loadline', 'k6-modules'),
      overrides,
      thresholds: flags.thresholds !== false,
      saturation: saturationOf(env.LOADLINE_SATURATION),
      ...(segment ? { segment } : {}),
      stop: stop.signal,
      ...(flags.summaryExport ? { summaryExport: flags.summaryExport } : {}),
      log: (level, message) => {
        const seconds = String(Math.floor((Date.now() - started) / 1000)).padStart(4, '0');
        io.stderr.write(`${level.toUpperCase().slice(0, 4)}[${seconds}] ${message}\n`);
      },
      write: summaryWriter(flags, io),
    });
    return reportEnding(flags, io, {
      exitCode: result.exitCode,
      reason: result.reason,
      summary: result.summary,
      generator: result.generator,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Where the summary goes: with --json stdout carries one JSON object, so it goes to stderr. */
function summaryWriter(flags: K6RunFlags, io: K6Io) {
  return (stream: 'stdout' | 'stderr', text: string) => {
    (stream === 'stdout' && flags.json ? io.stderr : io[stream]).write(text);
  };
}

/**
 * How the run ended, said as `k6 run` says it (the reason on stderr) and, with --json, as
 * one object `{ [runId, status,] exitCode, reason, summary, generator }`: its exit code.
 */
function reportEnding(
  flags: K6RunFlags,
  io: K6Io,
  ending: { exitCode: number; reason?: string | undefined; summary: unknown; generator: unknown },
  run: { runId: string; status: string } | undefined = undefined,
): number {
  if (ending.reason) {
    io.stderr.write(`${ending.exitCode === 0 ? '' : 'ERRO '}${ending.reason}\n`);
  }
  if (flags.json) {
    io.stdout.write(
      `${JSON.stringify({ ...run, exitCode: ending.exitCode, reason: ending.reason ?? null, summary: ending.summary ?? null, generator: ending.generator ?? null })}\n`,
    );
  }
  return ending.exitCode;
}

/** The k6 flags that shape a run wherever it runs: checked the same way locally and on the fleet. */
function scriptFlags(flags: K6RunFlags) {
  if (flags.rateMultiplier !== undefined) {
    throw new UsageError(
      '--rate-multiplier',
      "applies to scenarios; a k6 script's load is its options (--vus, --iterations, --duration)",
    );
  }
  const vus = count(flags.vus, '--vus');
  const iterations = count(flags.iterations, '--iterations');
  return {
    hosts: pairs(flags.host, '--host', 'NAME=ADDRESS[:PORT] (e.g. test.k6.io=127.0.0.1:8080)'),
    env: pairs(flags.env, '--env', 'KEY=VALUE'),
    overrides: {
      ...(vus === undefined ? {} : { vus }),
      ...(iterations === undefined ? {} : { iterations }),
      ...(flags.duration === undefined ? {} : { duration: flags.duration }),
    },
  };
}

/**
 * The system under test, as control's allowlist checks it first (every connection is
 * checked again on the agents): `--target`, else the first `--host` address, else the
 * first http(s) URL among the `-e` values.
 */
function targetOf(flags: K6RunFlags, hosts: Record<string, string>, env: Record<string, string>) {
  const given =
    flags.target ??
    Object.values(hosts).map((address) => `http://${address}/`)[0] ??
    Object.values(env).find((value) => /^https?:\/\/[^/]/.test(value));
  if (given === undefined || !URL.canParse(given)) {
    throw new UsageError(
      '--target',
      given === undefined
        ? "name the system under test (e.g. --target https://shop.staging.example): the environment's allowlist checks it before the launch, and agents check every connection again"
        : `expected an absolute http(s) URL, got "${given}"`,
    );
  }
  return given;
}

/**
 * `loadline run script.js` on the fleet: the script bundled and its init run here (its
 * options and the files open() reads go with it; agents read no files of their own),
 * saved as a scenario, launched on `--agents` agents each running its share of every
 * scenario. With `--wait`: k6's summary of every agent's metrics merged (or the script's
 * own handleSummary, run here) and k6's exit code.
 */
export async function runK6OnFleet(
  file: string,
  flags: K6RunFlags,
  io: K6Io,
  env: ApiEnv & { LOADLINE_K6_MODULES?: string | undefined },
): Promise<number> {
  if (flags.executionSegment !== undefined) {
    throw new UsageError(
      '--execution-segment',
      'applies with --local; on the fleet each agent runs its own segment',
    );
  }
  const entry = resolve(file);
  if (!existsSync(entry)) throw new UsageError(undefined, `${file}: no such file`);
  const { hosts, env: scriptEnv, overrides } = scriptFlags(flags);
  const target = targetOf(flags, hosts, scriptEnv);
  const log = (level: string, message: string) =>
    io.stderr.write(`${level.toUpperCase().slice(0, 4)} ${message}\n`);
  const inspected = await inspectK6Script({
    entry,
    // As `k6 cloud run`: __ENV is what -e says, not this machine's environment.
    env: scriptEnv,
    hosts,
    allowedHosts: [],
    remoteCacheDir: env.LOADLINE_K6_MODULES ?? join(homedir(), '.cache', 'loadline', 'k6-modules'),
    overrides,
    thresholds: flags.thresholds !== false,
    log,
  });
  if ('exitCode' in inspected) {
    io.stderr.write(`ERRO ${inspected.reason ?? 'the script cannot run'}\n`);
    return inspected.exitCode;
  }
  try {
    // Saved as `k6-NAME`, apart from the flow scenarios (a script never replaces one).
    const name = `k6-${basename(file, extname(file))
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .slice(0, 120)}`;
    const scenario = {
      name,
      description: `k6 script ${basename(file)}`,
      target,
      ...(flags.environment ? { environment: flags.environment } : {}),
      k6: {
        ...inspected.shipped,
        entry: basename(file),
        env: scriptEnv,
        hosts,
        overrides,
        thresholds: flags.thresholds !== false,
      },
    };
    const client = ControlClient.for(flags.api, env);
    let run: Awaited<ReturnType<typeof launchAndWait>>;
    try {
      let saved: { name: string; version: number };
      try {
        saved = await client.call(controlApi.saveScenario, {
          body: { source: JSON.stringify(scenario), feederRows: {} },
        });
      } catch (error) {
        if (error instanceof ApiProblem) throw refused('script', error, file, io.stderr);
        throw error;
      }
      run = await launchAndWait(client, saved, file, flags, io);
    } catch (error) {
      // What control refuses as invalid (a target its allowlist refuses, options it cannot
      // take) is k6's invalid configuration, as with --local.
      if (!(error instanceof ControlRefusal) || error.status !== 422) throw error;
      io.stderr.write(`ERRO ${error.message}\n`);
      return K6ExitCode.invalidConfig;
    }
    if (run === undefined) return K6ExitCode.ok;
    const stored = (run.summary ?? {}) as { k6?: unknown };
    const k6 = K6Outcome.safeParse(stored.k6);
    if (!k6.success) {
      io.stderr.write(`ERRO run ${run.id} ${run.status}: ${run.abortReason ?? 'no k6 verdict'}\n`);
      if (flags.json)
        io.stdout.write(
          `${JSON.stringify({ runId: run.id, status: run.status, exitCode: null })}\n`,
        );
      // It never ran as asked (too few agents, say): bad input, as for a scenario.
      return run.status === 'aborted' ? K6ExitCode.externalAbort : ExitCode.badInput;
    }
    const summary = k6.data.summary as unknown as SummaryData;
    await inspected.writeSummary(summary, {
      ...(flags.summaryExport ? { summaryExport: flags.summaryExport } : {}),
      write: summaryWriter(flags, io),
      log,
    });
    return reportEnding(
      flags,
      io,
      {
        exitCode: k6.data.exitCode,
        reason: k6.data.reason,
        summary,
        generator: (run.summary as { generator?: unknown }).generator,
      },
      { runId: run.id, status: run.status },
    );
  } finally {
    await inspected.close();
  }
}
