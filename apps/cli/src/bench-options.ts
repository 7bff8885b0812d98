import { readFileSync } from 'node:fs';
import {
  constantRate,
  fitProfile,
  type HttpTarget,
  type LoadModel,
  parseDuration,
  parseStages,
  profileDurationMs,
  validateTarget,
} from '@loadline/engine';
import { DEFAULT_MAX_IN_FLIGHT } from '@loadline/scenario';
import { UsageError } from './exit-codes.js';

/** Options as commander hands them over: every value still a string. */
export interface RawBenchOptions {
  url?: string;
  method?: string;
  header?: string[];
  body?: string;
  rate?: string;
  stages?: string;
  connections?: string;
  duration?: string;
  maxInFlight?: string;
  pipelining?: string;
  timeout?: string;
  insecure?: boolean;
  json?: boolean;
  hlog?: string;
  /** save what this machine's agent carries (see capacity-file.ts) */
  saveCapacity?: boolean;
}

export interface BenchConfig {
  target: HttpTarget;
  model: LoadModel;
  pipelining: number;
  timeoutMs: number;
  insecure: boolean;
  json: boolean;
  hlogPath: string | undefined;
  /** for display: "5000 rps for 10s", "50 connections for 10s", "stages 30s:1000,…" */
  loadDescription: string;
  durationMs: number;
}

/** The scenario load's default, for bench runs too. */
export { DEFAULT_MAX_IN_FLIGHT };

function positiveInteger(flag: string, text: string, what: string): number {
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value <= 0) {
    throw new UsageError(flag, `expected ${what} (a positive whole number), got "${text}"`);
  }
  return value;
}

function positiveNumber(flag: string, text: string, what: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new UsageError(flag, `expected ${what} (a positive number), got "${text}"`);
  }
  return value;
}

function duration(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    throw new UsageError(flag, `expected a duration like 30s, 1m30s or 500ms, got "${text}"`);
  }
  return ms;
}

function parseUrl(text: string | undefined): URL {
  if (!text) throw new UsageError('--url', 'is required (e.g. --url http://127.0.0.1:8080/)');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError('--url', `expected an absolute http:// or https:// URL, got "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError('--url', `expected an absolute http:// or https:// URL, got "${text}"`);
  }
  if (url.username || url.password) {
    throw new UsageError(
      '--url',
      'credentials in the URL are not sent; use --header Authorization',
    );
  }
  return url;
}

function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(':');
  const name = colon > 0 ? text.slice(0, colon).trim() : '';
  if (!name || /\s/.test(name)) {
    throw new UsageError('--header', `expected 'Name: value', got "${text}"`);
  }
  return [name, text.slice(colon + 1).trim()];
}

function parseBody(text: string | undefined): Buffer | undefined {
  if (text === undefined) return undefined;
  if (!text.startsWith('@')) return Buffer.from(text, 'utf8');
  const path = text.slice(1);
  try {
    return readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UsageError('--body', `cannot read file "${path}" (${reason})`);
  }
}

function parseModel(raw: RawBenchOptions): { model: LoadModel; description: string; ms: number } {
  const chosen = (['rate', 'stages', 'connections'] as const).filter((k) => raw[k] !== undefined);
  if (chosen.length !== 1) {
    throw new UsageError(
      undefined,
      chosen.length === 0
        ? 'choose a load model: --rate N (open), --stages LIST (open, ramping) or --connections C (closed)'
        : `--${chosen.join(' and --')} cannot be combined; choose one load model`,
    );
  }
  const maxInFlight =
    raw.maxInFlight === undefined
      ? DEFAULT_MAX_IN_FLIGHT
      : positiveInteger('--max-in-flight', raw.maxInFlight, 'a request count');
  if (raw.connections !== undefined) {
    if (raw.maxInFlight !== undefined) {
      throw new UsageError('--max-in-flight', 'applies to the open model (--rate/--stages) only');
    }
    const connections = positiveInteger('--connections', raw.connections, 'a connection count');
    if (raw.duration === undefined) throw new UsageError('--duration', 'is required (e.g. 30s)');
    const ms = duration('--duration', raw.duration);
    return {
      model: { kind: 'closed', connections, durationMs: ms },
      description: `closed model, ${connections} connections`,
      ms,
    };
  }
  if (raw.rate !== undefined) {
    const rate = positiveNumber('--rate', raw.rate, 'requests per second');
    if (raw.duration === undefined) throw new UsageError('--duration', 'is required (e.g. 30s)');
    const ms = duration('--duration', raw.duration);
    return {
      model: { kind: 'open', profile: constantRate(rate, ms), maxInFlight },
      description: `open model, ${rate} rps`,
      ms,
    };
  }
  const stages = parseStages(raw.stages as string);
  if (typeof stages === 'string') throw new UsageError('--stages', stages);
  const stagesMs = profileDurationMs({ startRate: 0, stages });
  // An explicit duration holds the last stage's rate (or cuts the profile short).
  const profile =
    raw.duration === undefined
      ? { startRate: 0, stages }
      : fitProfile({ startRate: 0, stages }, duration('--duration', raw.duration));
  return {
    model: { kind: 'open', profile, maxInFlight },
    description: `open model, stages ${raw.stages}`,
    ms: raw.duration === undefined ? stagesMs : profileDurationMs(profile),
  };
}

/** Validates every flag and builds the run configuration, or throws a UsageError. */
export function parseBenchOptions(raw: RawBenchOptions): BenchConfig {
  const url = parseUrl(raw.url);
  const method = (raw.method ?? 'GET').toUpperCase();
  const headers = (raw.header ?? []).map(parseHeader);
  const body = parseBody(raw.body);
  const target: HttpTarget = { url, method, headers, ...(body ? { body } : {}) };
  const problem = validateTarget(target);
  if (problem) {
    const flag = problem.startsWith('method') ? '--method' : '--header';
    throw new UsageError(flag, problem);
  }
  const { model, description, ms } = parseModel(raw);
  const pipelining =
    raw.pipelining === undefined
      ? 1
      : positiveInteger('--pipelining', raw.pipelining, 'requests per connection');
  const timeoutMs = raw.timeout === undefined ? 30_000 : duration('--timeout', raw.timeout);
  return {
    target,
    model,
    pipelining,
    timeoutMs,
    insecure: raw.insecure ?? false,
    json: raw.json ?? false,
    hlogPath: raw.hlog,
    loadDescription: description,
    durationMs: ms,
  };
}
