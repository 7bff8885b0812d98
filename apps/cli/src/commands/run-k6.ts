/**
 * `loadline run script.js`: a k6 script, unchanged, in this process. Exit codes are k6's
 * (0, 99, 104, 105, 107, 108, 110) so CI written for k6 keeps working.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { LOOPBACK_HOSTS } from '@loadline/api';
import { K6ExitCode, runK6Script } from '@loadline/k6';
import { UsageError } from '../exit-codes.js';
import { saturationOf } from './run.js';

export interface K6RunFlags {
  local?: boolean;
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
  if (!flags.local) {
    throw new UsageError(
      '--local',
      'k6 scripts run in this process for now (add --local); running them on the fleet is not built yet',
    );
  }
  const entry = resolve(file);
  if (!existsSync(entry)) throw new UsageError(undefined, `${file}: no such file`);
  const hosts = pairs(flags.host, '--host', 'NAME=ADDRESS[:PORT] (e.g. test.k6.io=127.0.0.1:8080)');
  const vus = count(flags.vus, '--vus');
  const iterations = count(flags.iterations, '--iterations');
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
        ...pairs(flags.env, '--env', 'KEY=VALUE'),
      },
      hosts,
      allowedHosts: LOOPBACK_HOSTS,
      remoteCacheDir:
        env.LOADLINE_K6_MODULES ?? join(homedir(), '.cache', 'loadline', 'k6-modules'),
      overrides: {
        ...(vus === undefined ? {} : { vus }),
        ...(iterations === undefined ? {} : { iterations }),
        ...(flags.duration === undefined ? {} : { duration: flags.duration }),
      },
      thresholds: flags.thresholds !== false,
      saturation: saturationOf(env.LOADLINE_SATURATION),
      ...(segment ? { segment } : {}),
      stop: stop.signal,
      ...(flags.summaryExport ? { summaryExport: flags.summaryExport } : {}),
      log: (level, message) => {
        const seconds = String(Math.floor((Date.now() - started) / 1000)).padStart(4, '0');
        io.stderr.write(`${level.toUpperCase().slice(0, 4)}[${seconds}] ${message}\n`);
      },
      write: (stream, text) => {
        // With --json stdout carries one JSON object; the text summary goes to stderr.
        (stream === 'stdout' && flags.json ? io.stderr : io[stream]).write(text);
      },
    });
    if (result.reason) io.stderr.write(`${result.exitCode === 0 ? '' : 'ERRO '}${result.reason}\n`);
    if (flags.json) {
      io.stdout.write(
        `${JSON.stringify({ exitCode: result.exitCode, reason: result.reason ?? null, summary: result.summary ?? null, generator: result.generator ?? null })}\n`,
      );
    }
    return result.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
