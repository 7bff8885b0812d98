/**
 * One k6 script run on this machine: compile, read options from a first init, set up,
 * run every scenario, judge thresholds every 2 s and at the end, tear down, summarise.
 * Exit codes are k6's, so CI pipelines written for k6 keep working.
 */
import { setMaxListeners } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import {
  type GeneratorCheck,
  hostMatcher,
  type K6Metrics,
  type SaturationLimits,
} from '@loadline/api';
import { GeneratorJudge } from '@loadline/engine';
import { type Bundle, ScriptError } from './bundle.js';
import { type CompiledScript, compileBundle, compileScript } from './compile.js';
import { runScenario, VuPool } from './executors.js';
import { K6ExitCode, k6Ending, type ScriptEnding } from './exit-codes.js';
import { type K6Shard, shardMetrics } from './fleet.js';
import { type HttpSettings, NotAllowedError } from './http.js';
import { IntervalRecorder } from './intervals.js';
import { MetricRegistry } from './metrics.js';
import { TestAbort } from './modules.js';
import {
  type K6Options,
  OptionsError,
  type OptionsOverrides,
  parseOptions,
  testDurationMs,
  vusOf,
} from './options.js';
import { shareOf } from './segments.js';
import { exportSummary, type SummaryData, summaryData, textSummary } from './summary.js';
import {
  checkThresholdTypes,
  evaluateThresholds,
  parseThresholds,
  type ThresholdSet,
  ThresholdsError,
  type ThresholdVerdict,
} from './thresholds.js';
import { K6Runtime, type LogLevel } from './vu.js';

export interface K6RunOptions {
  entry: string;
  /** `-e KEY=VALUE` */
  env: Record<string, string>;
  /** `--host name=address[:port]`, over the script's own `hosts` */
  hosts: Record<string, string>;
  /** where connections may go (the mapped address is what is checked) */
  allowedHosts: readonly string[];
  remoteCacheDir: string;
  overrides?: OptionsOverrides;
  /** false with `--no-thresholds` */
  thresholds: boolean;
  /** aborted from outside (Ctrl-C, stop): exit 105 */
  stop?: AbortSignal;
  summaryExport?: string;
  log(level: LogLevel, message: string): void;
  /** handleSummary's `stdout`/`stderr` outputs, and the default text summary */
  write(stream: 'stdout' | 'stderr', text: string): void;
  /** when this process counts as a saturated generator (LOADLINE_SATURATION over the defaults) */
  saturation?: SaturationLimits;
  /** `--execution-segment`: this instance runs share `index` of `count` of every scenario */
  segment?: { index: number; count: number };
  /** a bundle made elsewhere (by the CLI) and the files its init opened: an agent's run */
  script?: { bundle: Bundle; files: ReadonlyMap<string, Buffer> };
  /**
   * On the fleet: this agent's part of a run control coordinates (it starts on control's
   * signal, reports every second, and control judges the thresholds on every agent's).
   */
  shard?: K6Shard;
}

export interface K6RunResult {
  exitCode: number;
  /** why the run ended as it did, when not plainly */
  reason?: string;
  summary?: SummaryData;
  /** the runner's self-check: saturated seconds make the figures describe the runner */
  generator?: GeneratorCheck;
  /** on the fleet: this shard's final metrics (control merges every shard's) */
  metrics?: K6Metrics;
}

function fail(exitCode: number, reason: string): K6RunResult {
  return { exitCode, reason };
}

/** Runs a function exported by the script with a timeout (setup, teardown, handleSummary). */
async function callWithTimeout(fn: () => unknown, ms: number, what: string): Promise<unknown> {
  const timeout = new AbortController();
  try {
    return await Promise.race([
      Promise.resolve().then(fn),
      delay(ms, undefined, { signal: timeout.signal }).then(() => {
        throw new Error(`${what}() execution timed out after ${ms / 1000} seconds`);
      }),
    ]);
  } finally {
    timeout.abort();
  }
}

/** A script compiled and initialised once, its options read: ready to run or to ship. */
export interface PreparedScript {
  compiled: CompiledScript;
  runtime: K6Runtime;
  pool: VuPool;
  registry: MetricRegistry;
  tags: Record<string, string>;
  parsed: K6Options;
  thresholdSets: ThresholdSet[];
  /** the first VU's exports (options, setup, teardown, handleSummary) */
  exports: Record<string, unknown>;
}

type PrepareOptions = Pick<
  K6RunOptions,
  | 'entry'
  | 'env'
  | 'hosts'
  | 'allowedHosts'
  | 'remoteCacheDir'
  | 'overrides'
  | 'thresholds'
  | 'log'
  | 'segment'
  | 'script'
>;

/**
 * Compiles the script, runs its init once (as k6's init VU: it gives the options), and
 * checks the options and thresholds. A K6RunResult when the script cannot run.
 */
export async function prepareScript(
  options: PrepareOptions,
): Promise<PreparedScript | K6RunResult> {
  let compiled: CompiledScript;
  try {
    compiled = options.script
      ? compileBundle(options.script.bundle, options.entry)
      : await compileScript(options.entry, options.remoteCacheDir);
  } catch (error) {
    if (error instanceof ScriptError) return fail(K6ExitCode.scriptException, error.message);
    throw error;
  }
  const registry = new MetricRegistry();
  const allowedUrl = hostMatcher(options.allowedHosts);
  const http: HttpSettings = {
    hosts: {},
    allowed: (host) => allowedUrl(`http://${host.includes(':') ? `[${host}]` : host}/`),
    insecureSkipTLSVerify: false,
    userAgent: '',
    maxRedirects: 10,
    discardResponseBodies: false,
    noConnectionReuse: false,
    batchPerHost: 6,
    batch: 20,
    throwErrors: false,
  };
  const tags: Record<string, string> = {};
  let runtime: K6Runtime;
  let pool: VuPool;
  try {
    runtime = new K6Runtime({
      entry: options.entry,
      source: compiled.source,
      env: options.env,
      http,
      registry,
      tags,
      log: options.log,
      mapStack: compiled.mapStack,
      ...(options.script ? { files: options.script.files } : {}),
    });
    pool = new VuPool(runtime);
    // The first VU's init gives the options (as k6's init VU does); it then serves.
    pool.prepare(1);
  } catch (error) {
    return fail(K6ExitCode.scriptException, compiled.mapStack(describe(error)));
  }
  const first = pool.all[0];
  let parsed: ReturnType<typeof parseOptions>;
  let thresholdSets: ThresholdSet[] = [];
  try {
    parsed = parseOptions(first?.exports.options ?? {}, options.overrides);
    if (options.thresholds && parsed.thresholds !== undefined) {
      thresholdSets = parseThresholds(parsed.thresholds);
      const problems = checkThresholdTypes(thresholdSets, (name) => registry.typeOf(name));
      if (problems.length > 0) throw new ThresholdsError(problems);
    }
  } catch (error) {
    if (error instanceof OptionsError || error instanceof ThresholdsError) {
      return fail(K6ExitCode.invalidConfig, error.message);
    }
    throw error;
  }
  if (options.segment) {
    const { index, count } = options.segment;
    // k6's execution segments: this instance's share of every scenario's VUs, iterations
    // and rates; a scenario whose share is empty does not run here.
    const shares = Object.entries(parsed.scenarios).flatMap(([name, config]) => {
      const share = shareOf(config, index, count);
      return share ? [[name, share] as const] : [];
    });
    parsed = { ...parsed, scenarios: Object.fromEntries(shares) };
  }
  for (const warning of parsed.warnings) options.log('warn', warning);
  if (parsed.ignored.length > 0)
    options.log('warn', `options Loadline does not act on: ${parsed.ignored.join(', ')}`);
  for (const [name, config] of Object.entries(parsed.scenarios)) {
    if (typeof first?.exports[config.exec] !== 'function') {
      return fail(
        K6ExitCode.invalidConfig,
        `scenarios.${name}.exec: function "${config.exec}" is not exported by the script`,
      );
    }
  }
  Object.assign(http, {
    hosts: { ...parsed.hosts, ...options.hosts },
    insecureSkipTLSVerify: parsed.insecureSkipTLSVerify,
    userAgent: parsed.userAgent,
    maxRedirects: parsed.maxRedirects,
    discardResponseBodies: parsed.discardResponseBodies,
    noConnectionReuse: parsed.noConnectionReuse,
    batchPerHost: parsed.batchPerHost,
    batch: parsed.batch,
    throwErrors: parsed.throw,
  });
  Object.assign(runtime.iterationSettings, {
    noCookiesReset: parsed.noCookiesReset,
    noVUConnectionReuse: parsed.noVUConnectionReuse,
    minIterationDurationMs: parsed.minIterationDuration,
  });
  Object.assign(tags, parsed.tags);
  runtime.scriptOptions = first?.exports.options ?? {};
  for (const set of thresholdSets) registry.watch(set.metric, set.filter);
  return {
    compiled,
    runtime,
    pool,
    registry,
    tags,
    parsed,
    thresholdSets,
    exports: first?.exports ?? {},
  };
}

export async function runK6Script(options: K6RunOptions): Promise<K6RunResult> {
  const prepared = await prepareScript(options);
  if ('exitCode' in prepared) return prepared;
  const { runtime, pool, registry, tags, parsed, thresholdSets, exports } = prepared;

  const stop = new AbortController();
  // Every scenario's timers wait on this one signal at once (start times, ends, arrivals).
  setMaxListeners(0, stop.signal);
  let fatal: Error | undefined;
  const onExternalStop = () => stop.abort();
  options.stop?.addEventListener('abort', onExternalStop, { once: true });
  try {
    try {
      pool.prepare(Object.values(parsed.scenarios).reduce((n, c) => n + vusOf(c, 'initial'), 0));
    } catch (error) {
      return fail(K6ExitCode.scriptException, runtime.describeError(error));
    }
    registry.get('vus_max')?.add(pool.all.length, tags);

    // On the fleet nothing is sent before control's common start.
    const { shard } = options;
    let startAt: { control: number; offsetMs: number } | undefined;
    if (shard) {
      try {
        const start = await shard.start();
        startAt = { control: start.startAt, offsetMs: start.clockOffsetMs };
      } catch (error) {
        return fail(K6ExitCode.externalAbort, (error as Error).message);
      }
      await until(startAt, stop.signal);
      // From the start every request is stored (setup()'s in the VUs' first second).
      runtime.intervals = new IntervalRecorder();
    }
    // setup(): once, on its own VU; its data reaches every iteration as JSON (as in k6). On
    // the fleet it runs on shard 0, and control hands its data to every other agent.
    let data: unknown;
    const hasSetup = typeof exports.setup === 'function';
    const runsSetup = shard?.runsSetup !== false;
    const setupVu = hasSetup && runsSetup ? pool.take() : undefined;
    if (setupVu) {
      try {
        const result = await callWithTimeout(
          () => (setupVu.exports.setup as () => unknown)(),
          parsed.setupTimeout,
          'setup',
        );
        data = result === undefined ? undefined : JSON.parse(JSON.stringify(result));
      } catch (error) {
        if (error instanceof TestAbort) return fail(K6ExitCode.scriptAborted, error.message);
        if (error instanceof NotAllowedError) return fail(K6ExitCode.invalidConfig, error.message);
        return fail(K6ExitCode.scriptException, `setup() failed: ${runtime.describeError(error)}`);
      } finally {
        pool.give(setupVu);
      }
    }

    if (shard && startAt && hasSetup) {
      // Every agent's VUs start together once setup() has run (on shard 0).
      try {
        const vus = await shard.vusStart(data === undefined ? undefined : JSON.stringify(data));
        if (vus.setupData !== undefined) data = JSON.parse(vus.setupData);
        startAt = { ...startAt, control: vus.at };
      } catch (error) {
        return fail(K6ExitCode.externalAbort, (error as Error).message);
      }
      await until(startAt, stop.signal);
    }
    runtime.startedAt = performance.now();
    const context = {
      runtime,
      pool,
      data,
      stop: stop.signal,
      fatal(error: Error) {
        fatal ??= error;
        stop.abort();
      },
    };
    const boundMs = testDurationMs(parsed) + 60_000;
    const judge = new GeneratorJudge(options.saturation);
    runtime.generator.read();
    const scenarios = Promise.all(
      Object.values(parsed.scenarios).map((config) => runScenario(config, context)),
    );
    let thresholdAbort: ThresholdVerdict['abort'];
    const startedAtMs = Date.now();
    // Each second's report to control: rows keyed by the epoch second (control's clock) of
    // the run second they belong to, as the engine keys its intervals.
    const report = (tick: number) => {
      const generator = runtime.generator.read();
      judge.observe('local', generator);
      if (!shard || !startAt) return;
      const second = Math.floor((startAt.control + (tick - 1) * 1000) / 1000);
      shard.second({
        rows: runtime.intervals?.take(shard, second) ?? [],
        generator: { ...generator, second },
        metrics: shardMetrics(runtime),
      });
    };
    let ticks = 0;
    const watcher = (async () => {
      // Each second: the vus gauge; every second second: thresholds (k6's cadence). Ticks
      // keep to the start's own second boundaries, so each run second gets one report.
      for (let tick = 1; !stop.signal.aborted; tick++) {
        const due = startedAtMs + tick * 1000 - Date.now();
        await delay(Math.max(0, due), undefined, { signal: stop.signal }).catch(() => undefined);
        if (stop.signal.aborted) break;
        ticks = tick;
        registry.get('vus')?.add(runtime.vusActive, tags);
        report(tick);
        // On the fleet control judges thresholds on every agent's metrics merged.
        if (!shard && tick % 2 === 0 && thresholdSets.length > 0) {
          const verdict = evaluateThresholds(thresholdSets, registry, runtime.elapsedMs(), false);
          if (verdict.abort) {
            thresholdAbort = verdict.abort;
            stop.abort();
          }
        }
        if (runtime.abortReason !== undefined) stop.abort();
        // Every load loop is bounded: a run never outlives its scenarios' own length.
        if (runtime.elapsedMs() > boundMs) stop.abort();
      }
    })();
    // The vus gauge from the first moment VUs run (k6 shows the VUs even of a short run).
    setImmediate(() => registry.get('vus')?.add(runtime.vusActive, tags));
    await scenarios;
    stop.abort();
    await watcher;
    registry.get('vus')?.add(0, tags);
    // The last, partial second (on the fleet: with the final metrics).
    report(ticks + 1);
    const generator = judge.check({ agents: 1 });
    const elapsedMs = runtime.elapsedMs();

    if (typeof exports.teardown === 'function' && !fatal && runsSetup) {
      const vu = pool.take();
      try {
        await callWithTimeout(
          () => (vu.exports.teardown as (d: unknown) => unknown)(data),
          parsed.teardownTimeout,
          'teardown',
        );
      } catch (error) {
        options.log('error', `teardown() failed: ${runtime.describeError(error)}`);
      } finally {
        pool.give(vu);
      }
    }

    if (shard) {
      // Control judges thresholds and writes the summary; this agent says how its part ended.
      const ending = endingOf({
        generator,
        fatal,
        abortReason: runtime.abortReason,
        thresholdAbort: undefined,
        stopped: options.stop?.aborted === true,
        verdict: { outcomes: [], passed: true, abort: undefined },
        failReason: runtime.failReason,
      });
      return { ...ending, generator, metrics: shardMetrics(runtime) };
    }
    const verdict = evaluateThresholds(thresholdSets, registry, elapsedMs, true);
    const summary = summaryData({
      registry,
      checks: runtime.checks,
      groups: runtime.groups,
      trendStats: parsed.summaryTrendStats,
      timeUnit: parsed.summaryTimeUnit,
      elapsedMs,
      outcomes: verdict.outcomes,
      thresholds: thresholdSets,
    });
    await writeSummary(exports.handleSummary, summary, options);
    const ending = endingOf({
      generator,
      fatal,
      abortReason: runtime.abortReason,
      thresholdAbort,
      stopped: options.stop?.aborted === true,
      verdict,
      failReason: runtime.failReason,
    });
    return { ...ending, summary, generator };
  } finally {
    options.stop?.removeEventListener('abort', onExternalStop);
    stop.abort();
    await Promise.all(pool.all.map((vu) => vu.close()));
  }
}

/** Waits for an instant of control's clock, read on this machine's (or a stop). */
async function until(at: { control: number; offsetMs: number }, stop: AbortSignal): Promise<void> {
  const waitMs = at.control - at.offsetMs - Date.now();
  if (waitMs > 0) await delay(waitMs, undefined, { signal: stop }).catch(() => {});
}

/** How a run that got as far as its summary ended: k6's exit code, first cause first. */
function endingOf(run: {
  generator: GeneratorCheck;
  fatal: Error | undefined;
  abortReason: string | undefined;
  thresholdAbort: ThresholdVerdict['abort'];
  stopped: boolean;
  verdict: ThresholdVerdict;
  failReason: string | undefined;
}): ScriptEnding {
  const { fatal } = run;
  const scripts: ScriptEnding[] = [];
  if (fatal instanceof TestAbort || run.abortReason !== undefined) {
    scripts.push({
      exitCode: K6ExitCode.scriptAborted,
      reason: `test aborted: ${run.abortReason ?? fatal?.message}`,
    });
  } else if (fatal) {
    scripts.push({
      exitCode:
        fatal instanceof NotAllowedError ? K6ExitCode.invalidConfig : K6ExitCode.scriptException,
      reason: fatal.message,
    });
  }
  if (run.failReason !== undefined) {
    scripts.push({ exitCode: K6ExitCode.testFailed, reason: `test failed: ${run.failReason}` });
  }
  return k6Ending({
    saturated: run.generator.saturated.length > 0,
    ...(run.generator.hint ? { saturationHint: run.generator.hint } : {}),
    runner: 'the runner itself',
    scripts,
    thresholdAbort: run.thresholdAbort,
    stopped: run.stopped ? 'stopped from outside' : undefined,
    verdict: run.verdict,
  });
}

/** handleSummary's outputs, or k6's text summary; `--summary-export` as well. */
export async function writeSummary(
  handleSummary: unknown,
  summary: SummaryData,
  options: Pick<K6RunOptions, 'summaryExport' | 'write'> & {
    log(level: 'error', message: string): void;
  },
): Promise<void> {
  if (options.summaryExport) {
    await writeFile(options.summaryExport, `${JSON.stringify(exportSummary(summary), null, 2)}\n`);
  }
  if (typeof handleSummary !== 'function') {
    options.write('stdout', textSummary(summary));
    return;
  }
  let outputs: unknown;
  try {
    outputs = await callWithTimeout(
      () => handleSummary(structuredClone(summary)),
      120_000,
      'handleSummary',
    );
  } catch (error) {
    options.log('error', `handleSummary failed: ${describe(error)}; printing the default summary`);
    options.write('stdout', textSummary(summary));
    return;
  }
  for (const [target, content] of Object.entries((outputs ?? {}) as Record<string, unknown>)) {
    const text =
      typeof content === 'string'
        ? content
        : Buffer.isBuffer(content)
          ? content.toString('utf8')
          : JSON.stringify(content);
    if (target === 'stdout' || target === 'stderr') options.write(target, text);
    else await writeFile(target, typeof content === 'string' ? content : text);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? error.message;
  return String(error);
}
