/**
 * A k6 script's exported `options` → a validated, normalised {@link K6Options}, consolidated the
 * way k6 v2 does it: the `vus`/`duration`/`iterations`/`stages` shortcuts derive the `default`
 * scenario (k6 lib/executor/execution_config_shortcuts.go), every executor gets k6's defaults and
 * its Validate() rules (lib/executor/*.go), and every problem is collected with its path before
 * anything runs. Durations are milliseconds. {@link shareOf} splits a scenario across agents with
 * k6's execution-segment striping (lib/execution_segment.go).
 */
import { parseK6Duration } from './duration.js';

export { parseK6Duration };

export const EXECUTORS = [
  'shared-iterations',
  'per-vu-iterations',
  'constant-vus',
  'ramping-vus',
  'constant-arrival-rate',
  'ramping-arrival-rate',
] as const;
export type ExecutorType = (typeof EXECUTORS)[number];

/** Loadline's default User-Agent; k6 sends `k6/<version> (https://k6.io/)`. */
export const DEFAULT_USER_AGENT = 'loadline-k6/0.1.0 (compatible; k6)';
export const DEFAULT_SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'];

export interface Stage {
  duration: number;
  target: number;
}

interface ScenarioBase {
  name: string;
  startTime: number;
  gracefulStop: number;
  exec: string;
  env: Record<string, string>;
  tags: Record<string, string>;
}
export interface SharedIterationsConfig extends ScenarioBase {
  executor: 'shared-iterations';
  vus: number;
  iterations: number;
  maxDuration: number;
}
export interface PerVUIterationsConfig extends ScenarioBase {
  executor: 'per-vu-iterations';
  vus: number;
  iterations: number;
  maxDuration: number;
}
export interface ConstantVUsConfig extends ScenarioBase {
  executor: 'constant-vus';
  vus: number;
  duration: number;
}
export interface RampingVUsConfig extends ScenarioBase {
  executor: 'ramping-vus';
  startVUs: number;
  stages: Stage[];
  gracefulRampDown: number;
}
/** `rate` iterations per `timeUnit` ms. A share may carry a longer timeUnit to stay exact. */
export interface ConstantArrivalRateConfig extends ScenarioBase {
  executor: 'constant-arrival-rate';
  rate: number;
  timeUnit: number;
  duration: number;
  preAllocatedVUs: number;
  maxVUs: number;
}
export interface RampingArrivalRateConfig extends ScenarioBase {
  executor: 'ramping-arrival-rate';
  startRate: number;
  timeUnit: number;
  stages: Stage[];
  preAllocatedVUs: number;
  maxVUs: number;
}
export type ExecutorConfig =
  | SharedIterationsConfig
  | PerVUIterationsConfig
  | ConstantVUsConfig
  | RampingVUsConfig
  | ConstantArrivalRateConfig
  | RampingArrivalRateConfig;

export interface K6Options {
  /** In the script's order; the shortcuts derive one scenario named `default`. */
  scenarios: Record<string, ExecutorConfig>;
  /** Raw `thresholds`, parsed by the thresholds module; undefined when absent. */
  thresholds: unknown;
  hosts: Record<string, string>;
  maxRedirects: number;
  insecureSkipTLSVerify: boolean;
  userAgent: string;
  discardResponseBodies: boolean;
  noConnectionReuse: boolean;
  noVUConnectionReuse: boolean;
  noCookiesReset: boolean;
  throw: boolean;
  minIterationDuration: number;
  setupTimeout: number;
  teardownTimeout: number;
  tags: Record<string, string>;
  summaryTrendStats: string[];
  summaryTimeUnit: 's' | 'ms' | 'us' | undefined;
  batch: number;
  batchPerHost: number;
  /** Options present in the script that Loadline does not act on (paths). */
  ignored: string[];
  /** What k6 would log as a warning while consolidating. */
  warnings: string[];
}

export class OptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `There were problems with the script's options:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'OptionsError';
  }
}

export interface OptionsOverrides {
  vus?: number;
  duration?: string;
  iterations?: number;
}

// ---------------------------------------------------------------- durations and values

/** Go's time.Duration text ("1m30s", "500ms", "0s"), as k6 prints durations in messages. */
function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const num = (n: number) => String(Number(n.toFixed(6)));
  if (rest < 1000) return `${sign}${num(rest)}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  const s = num((rest - m * 60_000) / 1000);
  if (h) return `${sign}${h}h${m}m${s}s`;
  return m ? `${sign}${m}m${s}s` : `${sign}${s}s`;
}

type Problems = string[];
const absent = (v: unknown): v is null | undefined => v === undefined || v === null;
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function readInt(v: unknown, path: string, problems: Problems): number | undefined {
  if (absent(v)) return undefined;
  // k6's null.Int also takes integer strings.
  const n = typeof v === 'string' && /^[+-]?\d+$/.test(v) ? Number(v) : v;
  if (typeof n === 'number' && Number.isSafeInteger(n)) return n;
  problems.push(`${path}: expected an integer, got ${JSON.stringify(v)}`);
  return undefined;
}

function readDuration(v: unknown, path: string, problems: Problems): number | undefined {
  if (absent(v)) return undefined;
  const ms = parseK6Duration(v);
  if (ms === undefined) {
    problems.push(
      `${path}: expected a duration like "30s", "1m30s" or a number of milliseconds, got ${JSON.stringify(v)}`,
    );
  }
  return ms;
}

function readBool(v: unknown, path: string, problems: Problems): boolean | undefined {
  if (absent(v) || typeof v === 'boolean') return v ?? undefined;
  problems.push(`${path}: expected true or false, got ${JSON.stringify(v)}`);
  return undefined;
}

function readString(v: unknown, path: string, problems: Problems): string | undefined {
  if (absent(v) || typeof v === 'string') return v ?? undefined;
  problems.push(`${path}: expected a string, got ${JSON.stringify(v)}`);
  return undefined;
}

function readStringMap(v: unknown, path: string, problems: Problems) {
  if (absent(v)) return undefined;
  if (!isRecord(v)) {
    problems.push(`${path}: expected an object of string values`);
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(v)) {
    if (typeof value === 'string') out[key] = value;
    else problems.push(`${path}.${key}: expected a string, got ${JSON.stringify(value)}`);
  }
  return out;
}

interface RawStage {
  duration?: number;
  target?: number;
}

function readStages(v: unknown, path: string, problems: Problems, strict: boolean) {
  if (absent(v)) return undefined;
  if (!Array.isArray(v)) {
    problems.push(`${path}: expected an array of { duration, target }`);
    return undefined;
  }
  return v.map((s: unknown, i): RawStage => {
    const at = `${path}[${i}]`;
    if (!isRecord(s)) {
      problems.push(`${at}: expected an object { duration, target }`);
      return {};
    }
    if (strict) {
      for (const key of Object.keys(s)) {
        if (key !== 'duration' && key !== 'target') problems.push(`${at}.${key}: unknown field`);
      }
    }
    return {
      duration: readDuration(s.duration, `${at}.duration`, problems),
      target: readInt(s.target, `${at}.target`, problems),
    };
  });
}

// ---------------------------------------------------------------- executors

/** A scenario's fields as written (undefined = not given), before k6's defaults. */
interface Fields {
  startTime?: number;
  gracefulStop?: number;
  exec?: string;
  env?: Record<string, string>;
  tags?: Record<string, string>;
  vus?: number;
  iterations?: number;
  maxDuration?: number;
  duration?: number;
  startVUs?: number;
  stages?: RawStage[];
  gracefulRampDown?: number;
  rate?: number;
  startRate?: number;
  timeUnit?: number;
  preAllocatedVUs?: number;
  maxVUs?: number;
}
type Kind = 'int' | 'duration' | 'string' | 'map' | 'stages';
const KINDS: Record<keyof Fields, Kind> = {
  startTime: 'duration',
  gracefulStop: 'duration',
  exec: 'string',
  env: 'map',
  tags: 'map',
  vus: 'int',
  iterations: 'int',
  maxDuration: 'duration',
  duration: 'duration',
  startVUs: 'int',
  stages: 'stages',
  gracefulRampDown: 'duration',
  rate: 'int',
  startRate: 'int',
  timeUnit: 'duration',
  preAllocatedVUs: 'int',
  maxVUs: 'int',
};
const COMMON_FIELDS = ['startTime', 'gracefulStop', 'exec', 'env', 'tags'];
const OWN_FIELDS: Record<ExecutorType, string[]> = {
  'shared-iterations': ['vus', 'iterations', 'maxDuration'],
  'per-vu-iterations': ['vus', 'iterations', 'maxDuration'],
  'constant-vus': ['vus', 'duration'],
  'ramping-vus': ['startVUs', 'stages', 'gracefulRampDown'],
  'constant-arrival-rate': ['rate', 'timeUnit', 'duration', 'preAllocatedVUs', 'maxVUs'],
  'ramping-arrival-rate': ['startRate', 'timeUnit', 'stages', 'preAllocatedVUs', 'maxVUs'],
};

const MIN_DURATION = 1000; // k6's minDuration for duration/maxDuration
const MAX_CONCURRENT_VUS = 100_000_000;
const NAME = /^[0-9a-zA-Z_-]+$/;

type At = (field: string) => string;

function checkAtLeast1s(value: number, field: string, at: At, problems: Problems) {
  if (value < MIN_DURATION) {
    problems.push(`${at(field)}: the ${field} must be at least 1s, but is ${goDuration(value)}`);
  }
}

function checkStages(stages: RawStage[], at: At, problems: Problems): Stage[] {
  if (stages.length === 0) problems.push(`${at('stages')}: at least one stage has to be specified`);
  return stages.map((s, i) => {
    const n = i + 1;
    if (s.duration === undefined)
      problems.push(`${at(`stages[${i}].duration`)}: stage ${n} doesn't have a duration`);
    else if (s.duration < 0)
      problems.push(
        `${at(`stages[${i}].duration`)}: the duration for stage ${n} can't be negative`,
      );
    if (s.target === undefined)
      problems.push(`${at(`stages[${i}].target`)}: stage ${n} doesn't have a target`);
    else if (s.target < 0)
      problems.push(`${at(`stages[${i}].target`)}: the target for stage ${n} can't be negative`);
    return { duration: s.duration ?? 0, target: s.target ?? 0 };
  });
}

function checkVUPool(f: Fields, at: At, problems: Problems) {
  if (f.preAllocatedVUs === undefined) {
    problems.push(`${at('preAllocatedVUs')}: the number of preAllocatedVUs isn't specified`);
  } else if (f.preAllocatedVUs < 0) {
    problems.push(`${at('preAllocatedVUs')}: the number of preAllocatedVUs can't be negative`);
  }
  const preAllocatedVUs = f.preAllocatedVUs ?? 0;
  if (f.maxVUs !== undefined && f.maxVUs < preAllocatedVUs) {
    problems.push(`${at('maxVUs')}: maxVUs can't be less than preAllocatedVUs`);
  }
  const timeUnit = f.timeUnit ?? 1000;
  if (timeUnit <= 0) problems.push(`${at('timeUnit')}: the timeUnit must be more than 0`);
  return { preAllocatedVUs, maxVUs: f.maxVUs ?? preAllocatedVUs, timeUnit };
}

/** Applies k6's defaults and Validate() rules to one executor's fields. */
function buildExecutor(
  name: string,
  executor: ExecutorType,
  f: Fields,
  at: At,
  problems: Problems,
): ExecutorConfig {
  if (f.exec === '') problems.push(`${at('exec')}: exec value cannot be empty`);
  if ((f.startTime ?? 0) < 0) problems.push(`${at('startTime')}: the startTime can't be negative`);
  if ((f.gracefulStop ?? 0) < 0) {
    problems.push(`${at('gracefulStop')}: the gracefulStop timeout can't be negative`);
  }
  const base: ScenarioBase = {
    name,
    startTime: f.startTime ?? 0,
    gracefulStop: f.gracefulStop ?? 30_000,
    exec: f.exec || 'default',
    env: f.env ?? {},
    tags: f.tags ?? {},
  };
  const vus = f.vus ?? 1;
  if (
    (executor === 'shared-iterations' ||
      executor === 'per-vu-iterations' ||
      executor === 'constant-vus') &&
    vus <= 0
  ) {
    problems.push(`${at('vus')}: the number of VUs must be more than 0`);
  }
  switch (executor) {
    case 'shared-iterations':
    case 'per-vu-iterations': {
      const iterations = f.iterations ?? 1;
      if (executor === 'shared-iterations' && iterations < vus) {
        problems.push(
          `${at('iterations')}: the number of iterations (${iterations}) can't be less than the number of VUs (${vus})`,
        );
      }
      if (executor === 'per-vu-iterations' && iterations <= 0) {
        problems.push(`${at('iterations')}: the number of iterations must be more than 0`);
      }
      const maxDuration = f.maxDuration ?? 600_000;
      checkAtLeast1s(maxDuration, 'maxDuration', at, problems);
      return { ...base, executor, vus, iterations, maxDuration };
    }
    case 'constant-vus':
    case 'constant-arrival-rate': {
      if (f.duration === undefined) problems.push(`${at('duration')}: the duration is unspecified`);
      else checkAtLeast1s(f.duration, 'duration', at, problems);
      const duration = f.duration ?? 0;
      if (executor === 'constant-vus') return { ...base, executor, vus, duration };
      if (f.rate === undefined) problems.push(`${at('rate')}: the iteration rate isn't specified`);
      else if (f.rate <= 0) problems.push(`${at('rate')}: the iteration rate must be more than 0`);
      return { ...base, executor, rate: f.rate ?? 0, duration, ...checkVUPool(f, at, problems) };
    }
    case 'ramping-vus': {
      const startVUs = f.startVUs ?? 1;
      if (startVUs < 0)
        problems.push(`${at('startVUs')}: the number of start VUs can't be negative`);
      if (startVUs > MAX_CONCURRENT_VUS) {
        problems.push(`${at('startVUs')}: the startVUs exceed max limit of ${MAX_CONCURRENT_VUS}`);
      }
      const stages = checkStages(f.stages ?? [], at, problems);
      stages.forEach((s, i) => {
        if (s.target > MAX_CONCURRENT_VUS) {
          problems.push(
            `${at(`stages[${i}].target`)}: target for stage ${i + 1} exceeds max limit of ${MAX_CONCURRENT_VUS}`,
          );
        }
      });
      if (Math.max(startVUs, ...stages.map((s) => s.target)) <= 0) {
        problems.push(
          `${at('stages')}: either startVUs or one of the stages' target values must be greater than 0`,
        );
      }
      const gracefulRampDown = f.gracefulRampDown ?? 30_000;
      if (gracefulRampDown < 0) {
        problems.push(`${at('gracefulRampDown')}: the gracefulRampDown can't be negative`);
      }
      return { ...base, executor, startVUs, stages, gracefulRampDown };
    }
    case 'ramping-arrival-rate': {
      const startRate = f.startRate ?? 0;
      if (startRate < 0) problems.push(`${at('startRate')}: the startRate value can't be negative`);
      const stages = checkStages(f.stages ?? [], at, problems);
      return { ...base, executor, startRate, stages, ...checkVUPool(f, at, problems) };
    }
  }
}

function readField(key: keyof Fields, v: unknown, path: string, problems: Problems) {
  switch (KINDS[key]) {
    case 'int':
      return readInt(v, path, problems);
    case 'duration':
      return readDuration(v, path, problems);
    case 'string':
      return readString(v, path, problems);
    case 'map':
      return readStringMap(v, path, problems);
    case 'stages':
      return readStages(v, path, problems, true);
  }
}

function readScenario(name: string, raw: unknown, problems: Problems, ignored: string[]) {
  const path = `scenarios.${name}`;
  if (!NAME.test(name)) {
    problems.push(
      `${path}: the scenario name should contain only numbers, latin letters, underscores, and dashes`,
    );
  }
  if (!isRecord(raw)) {
    problems.push(`${path}: expected an object with an executor`);
    return undefined;
  }
  const executor = raw.executor;
  const expected = `expected one of ${EXECUTORS.join(', ')}`;
  if (absent(executor) || executor === '') {
    problems.push(`${path}.executor: scenario "${name}" has no executor; ${expected}`);
    return undefined;
  }
  if (executor === 'externally-controlled') {
    problems.push(
      `${path}.executor: k6 v2 removed the externally-controlled executor; use ramping-vus, constant-vus or constant-arrival-rate`,
    );
    return undefined;
  }
  if (!EXECUTORS.includes(executor as ExecutorType)) {
    problems.push(
      `${path}.executor: unknown executor ${JSON.stringify(executor)} in scenario "${name}"; ${expected}`,
    );
    return undefined;
  }
  const type = executor as ExecutorType;
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'executor' || value === undefined) continue;
    if (key === 'options') ignored.push(`${path}.options`);
    else if (COMMON_FIELDS.includes(key) || OWN_FIELDS[type].includes(key)) {
      fields[key] = readField(key as keyof Fields, value, `${path}.${key}`, problems);
    } else problems.push(`${path}.${key}: unknown option for the ${type} executor`);
  }
  return buildExecutor(name, type, fields as Fields, (f) => `${path}.${f}`, problems);
}

// ---------------------------------------------------------------- shortcuts

interface Shortcuts {
  vus?: number;
  duration?: number;
  iterations?: number;
  /** Stages with a duration, each with its index as written (k6 drops the others). */
  stages?: Array<RawStage & { index: number }>;
  scenarios: unknown;
  paths: { vus: string; duration: string; iterations: string };
}

function readShortcuts(
  raw: Record<string, unknown>,
  o: OptionsOverrides,
  problems: Problems,
  warnings: string[],
) {
  const cliExecution = o.duration !== undefined || o.iterations !== undefined;
  if (cliExecution && !absent(raw.scenarios)) {
    warnings.push('"cli" level configuration overrode scenarios configuration entirely');
  }
  const pick = (key: 'vus' | 'duration' | 'iterations') =>
    o[key] !== undefined
      ? { value: o[key] as unknown, path: `--${key}` }
      : { value: cliExecution ? undefined : raw[key], path: key };
  const vus = pick('vus');
  const duration = pick('duration');
  const iterations = pick('iterations');
  const stages = cliExecution ? undefined : readStages(raw.stages, 'stages', problems, false);
  const result: Shortcuts = {
    vus: readInt(vus.value, vus.path, problems),
    duration: readDuration(duration.value, duration.path, problems),
    iterations: readInt(iterations.value, iterations.path, problems),
    stages: stages?.map((s, index) => ({ ...s, index })).filter((s) => s.duration !== undefined),
    scenarios: cliExecution ? undefined : raw.scenarios,
    paths: { vus: vus.path, duration: duration.path, iterations: iterations.path },
  };
  return result;
}

function conflict(a: string, b: string) {
  return `${a}: using \`${a.replace(/^--/, '')}\` and \`${b}\` options simultaneously is not allowed`;
}

/** k6's DeriveScenariosFromShortcuts, then the explicit scenarios. */
function deriveScenarios(
  s: Shortcuts,
  problems: Problems,
  warnings: string[],
  ignored: string[],
): Record<string, ExecutorConfig> {
  const { paths } = s;
  const hasStages = (s.stages?.length ?? 0) > 0;
  const hasScenarios = !absent(s.scenarios);
  const explicit: Record<string, ExecutorConfig> = {};
  if (hasScenarios) {
    if (!isRecord(s.scenarios))
      problems.push('scenarios: expected an object of scenario name → config');
    else {
      for (const [name, raw] of Object.entries(s.scenarios)) {
        if (raw === undefined) continue;
        const config = readScenario(name, raw, problems, ignored);
        if (config) explicit[name] = config;
      }
    }
  }
  const shortcut = (executor: ExecutorType, f: Fields, at: Record<string, string>) => ({
    default: buildExecutor('default', executor, f, (field) => rename(field, at), problems),
  });
  const rename = (field: string, at: Record<string, string>) => {
    const stage = /^stages\[(\d+)\](.*)$/.exec(field);
    if (stage) return `stages[${s.stages?.[Number(stage[1])]?.index ?? stage[1]}]${stage[2]}`;
    return at[field] ?? field;
  };
  if (s.iterations !== undefined) {
    if (hasStages) problems.push(conflict(paths.iterations, 'stages'));
    if (hasScenarios) problems.push(conflict(paths.iterations, 'scenarios'));
    const f = { vus: s.vus, iterations: s.iterations, maxDuration: s.duration };
    return shortcut('shared-iterations', f, {
      vus: paths.vus,
      iterations: paths.iterations,
      maxDuration: paths.duration,
    });
  }
  if (s.duration !== undefined) {
    if (hasStages) problems.push(conflict(paths.duration, 'stages'));
    if (hasScenarios) problems.push(conflict(paths.duration, 'scenarios'));
    if (s.duration <= 0) {
      problems.push(
        `${paths.duration}: \`duration\` should be more than 0 (k6 v2 has no infinite duration)`,
      );
      return {};
    }
    return shortcut(
      'constant-vus',
      { vus: s.vus, duration: s.duration },
      { vus: paths.vus, duration: paths.duration },
    );
  }
  if (hasStages) {
    if (hasScenarios) problems.push(conflict('stages', 'scenarios'));
    return shortcut('ramping-vus', { startVUs: s.vus, stages: s.stages }, { startVUs: paths.vus });
  }
  if (s.vus !== undefined && !hasScenarios) {
    const at = { vus: paths.vus, iterations: paths.vus };
    return shortcut('shared-iterations', { vus: s.vus, iterations: s.vus }, at);
  }
  if (s.vus !== undefined) warnings.push('`vus` is ignored because `scenarios` are given');
  if (
    Object.keys(explicit).length > 0 ||
    (isRecord(s.scenarios) && Object.keys(s.scenarios).length > 0)
  ) {
    return explicit;
  }
  if (s.stages)
    warnings.push(
      '`stages` was explicitly set to an empty value, running the script with 1 iteration in 1 VU',
    );
  if (hasScenarios)
    warnings.push(
      '`scenarios` was explicitly set to an empty value, running the script with 1 iteration in 1 VU',
    );
  return shortcut('per-vu-iterations', {}, {});
}

// ---------------------------------------------------------------- the other options

const HANDLED = new Set([
  'vus',
  'duration',
  'iterations',
  'stages',
  'scenarios',
  'thresholds',
  'hosts',
  'maxRedirects',
  'insecureSkipTLSVerify',
  'userAgent',
  'discardResponseBodies',
  'noConnectionReuse',
  'noVUConnectionReuse',
  'noCookiesReset',
  'throw',
  'minIterationDuration',
  'setupTimeout',
  'teardownTimeout',
  'tags',
  'summaryTrendStats',
  'summaryTimeUnit',
  'batch',
  'batchPerHost',
]);
const TREND_STAT = /^(avg|min|med|max|count|p\((\d+(\.\d+)?)\))$/;

function readCount(
  raw: Record<string, unknown>,
  key: string,
  fallback: number,
  problems: Problems,
) {
  const n = readInt(raw[key], key, problems);
  if (n !== undefined && n < 0) problems.push(`${key}: must not be negative, got ${n}`);
  return n ?? fallback;
}

function readTrendStats(v: unknown, problems: Problems): string[] {
  if (absent(v)) return [...DEFAULT_SUMMARY_TREND_STATS];
  if (!Array.isArray(v)) {
    problems.push('summaryTrendStats: expected an array like ["avg", "p(95)"]');
    return [];
  }
  v.forEach((stat, i) => {
    const m = typeof stat === 'string' ? TREND_STAT.exec(stat) : null;
    if (!m || (m[2] !== undefined && Number(m[2]) > 100)) {
      problems.push(
        `summaryTrendStats[${i}]: unknown stat ${JSON.stringify(stat)}; expected avg, min, med, max, count or p(N) with N from 0 to 100`,
      );
    }
  });
  return v.map(String);
}

function readSummaryTimeUnit(v: unknown, problems: Problems): K6Options['summaryTimeUnit'] {
  const unit = readString(v, 'summaryTimeUnit', problems);
  if (unit === undefined || unit === '') return undefined;
  if (unit === 's' || unit === 'ms' || unit === 'us') return unit;
  problems.push(`summaryTimeUnit: expected "s", "ms" or "us", got ${JSON.stringify(unit)}`);
  return undefined;
}

function readOtherOptions(raw: Record<string, unknown>, problems: Problems) {
  const bool = (key: string) => readBool(raw[key], key, problems) ?? false;
  const duration = (key: string, fallback: number) => {
    const ms = readDuration(raw[key], key, problems);
    if (ms !== undefined && ms < 0) problems.push(`${key}: can't be negative`);
    return ms ?? fallback;
  };
  return {
    thresholds: raw.thresholds ?? undefined,
    hosts: readStringMap(raw.hosts, 'hosts', problems) ?? {},
    maxRedirects: readCount(raw, 'maxRedirects', 10, problems),
    insecureSkipTLSVerify: bool('insecureSkipTLSVerify'),
    userAgent: readString(raw.userAgent, 'userAgent', problems) ?? DEFAULT_USER_AGENT,
    discardResponseBodies: bool('discardResponseBodies'),
    noConnectionReuse: bool('noConnectionReuse'),
    noVUConnectionReuse: bool('noVUConnectionReuse'),
    noCookiesReset: bool('noCookiesReset'),
    throw: bool('throw'),
    minIterationDuration: duration('minIterationDuration', 0),
    setupTimeout: duration('setupTimeout', 60_000),
    teardownTimeout: duration('teardownTimeout', 60_000),
    tags: readStringMap(raw.tags, 'tags', problems) ?? {},
    summaryTrendStats: readTrendStats(raw.summaryTrendStats, problems),
    summaryTimeUnit: readSummaryTimeUnit(raw.summaryTimeUnit, problems),
    batch: readCount(raw, 'batch', 20, problems),
    batchPerHost: readCount(raw, 'batchPerHost', 6, problems),
  };
}

/**
 * Parses a k6 script's exported `options` (undefined when it exports none). `overrides` are the
 * CLI's --vus/--duration/--iterations, which win as in k6: --duration or --iterations replace
 * the script's whole execution config. Throws {@link OptionsError} listing every problem.
 */
export function parseOptions(input: unknown, overrides: OptionsOverrides = {}): K6Options {
  const problems: Problems = [];
  const warnings: string[] = [];
  const ignored: string[] = [];
  let raw: Record<string, unknown> = {};
  if (isRecord(input)) raw = input;
  else if (!absent(input))
    problems.push(`options: expected an object, got ${JSON.stringify(input)}`);
  for (const [key, value] of Object.entries(raw)) {
    if (!HANDLED.has(key) && value !== undefined) ignored.push(key);
  }
  const shortcuts = readShortcuts(raw, overrides, problems, warnings);
  const scenarios = deriveScenarios(shortcuts, problems, warnings, ignored);
  const rest = readOtherOptions(raw, problems);
  if (problems.length > 0) throw new OptionsError(problems);
  return { scenarios, ...rest, ignored, warnings };
}

/** How long a scenario's stages last, together (ms). */
export function stagesDuration(stages: readonly Stage[]): number {
  return stages.reduce((sum, stage) => sum + stage.duration, 0);
}

/**
 * The longest a scenario can run from its own start, gracefulStop included (k6's last
 * GetExecutionRequirements step); add `startTime` for its end within the test.
 */
export function scenarioDurationMs(config: ExecutorConfig): number {
  switch (config.executor) {
    case 'shared-iterations':
    case 'per-vu-iterations':
      return config.maxDuration + config.gracefulStop;
    case 'constant-vus':
    case 'constant-arrival-rate':
      return config.duration + config.gracefulStop;
    case 'ramping-vus':
    case 'ramping-arrival-rate':
      return stagesDuration(config.stages) + config.gracefulStop;
  }
}

/** The longest the whole test can run: the latest startTime + scenarioDurationMs. */
export function testDurationMs(options: Pick<K6Options, 'scenarios'>): number {
  return Math.max(
    0,
    ...Object.values(options.scenarios).map((c) => c.startTime + scenarioDurationMs(c)),
  );
}

/**
 * A scenario's VUs: the most it can have at once (`max`), or how many must be ready before
 * the test starts (`initial`: an arrival rate's preAllocatedVUs; it grows to maxVUs later).
 */
export function vusOf(config: ExecutorConfig, which: 'max' | 'initial' = 'max'): number {
  switch (config.executor) {
    case 'shared-iterations':
    case 'per-vu-iterations':
    case 'constant-vus':
      return config.vus;
    case 'ramping-vus':
      return Math.max(config.startVUs, ...config.stages.map((s) => s.target));
    case 'constant-arrival-rate':
    case 'ramping-arrival-rate':
      return which === 'max' ? config.maxVUs : config.preAllocatedVUs;
  }
}
