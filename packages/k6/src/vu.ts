/**
 * The run's shared state (metrics, checks, shared arrays, the compiled script) and one VU:
 * each VU evaluates the transformed module body for itself, so module-level variables are
 * per VU as in k6, while the compiled code, the vm context and SharedArrays are shared.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import vm from 'node:vm';
import { toArrayBuffer } from './bytes.js';
import { GeneratorMeter } from './generator.js';
import { CookieJar, HttpModule, type HttpSettings, VuConnections } from './http.js';
import type { IntervalRecorder } from './intervals.js';
import { MetricError, type MetricRegistry, type Tags } from './metrics.js';
import {
  cryptoModule,
  dataModule,
  encodingModule,
  executionModule,
  k6Module,
  metricsModule,
  parseHTML,
} from './modules.js';

/** A blocking k6 call whose result was never awaited: the transform missed a call site. */
export class UnawaitedCallError extends Error {
  constructor(call: string) {
    super(
      `${call}() was called where Loadline could not make the script wait for it (its caller was not converted): the run is stopped rather than measured wrong. Call request-making functions directly (no forEach/map callbacks, no functions stored in data)`,
    );
    this.name = 'UnawaitedCallError';
  }
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** What a scenario tells its VUs while they run for it. */
export interface ScenarioHandle {
  name: string;
  executor: string;
  startedAt: number;
  tags: Tags;
  env: Record<string, string>;
  progress(): number;
}

export interface CheckCount {
  passes: number;
  fails: number;
}

/** What k6's options change about each iteration. */
export interface IterationSettings {
  /** k6 empties each VU's cookie jar before every iteration unless `noCookiesReset` */
  noCookiesReset: boolean;
  /** `noVUConnectionReuse`: a VU's connections close between iterations */
  noVUConnectionReuse: boolean;
  /** `minIterationDuration` (ms): a shorter iteration waits out the rest */
  minIterationDurationMs: number;
}

export interface RuntimeSettings {
  entry: string;
  source: string;
  env: Record<string, string>;
  http: HttpSettings;
  registry: MetricRegistry;
  /** run-wide tags (options.tags) */
  tags: Tags;
  log: (level: LogLevel, message: string) => void;
  /** maps the compiled script's stack frames back to the script's files */
  mapStack: (stack: string) => string;
  /**
   * What open() reads, by the path the script gave: on an agent, the files the CLI read
   * when it ran the script's init (an agent reads no files of its own machine). Absent:
   * read from disk, relative to the script.
   */
  files?: ReadonlyMap<string, Buffer>;
}

type ModuleBody = (
  k6: { import(spec: string): Record<string, unknown> },
  vu: Vu,
  exports: Record<string, unknown>,
  open: (path: string, mode?: string) => string | ArrayBuffer,
  require: (spec: string) => unknown,
) => void;

export class K6Runtime {
  readonly registry: MetricRegistry;
  readonly http: HttpSettings;
  readonly baseTags: Tags;
  readonly env: Record<string, string>;
  readonly entry: string;
  /** group path → check name → counts, in the order first seen */
  readonly checks = new Map<string, Map<string, CheckCount>>();
  readonly groups: string[] = [''];
  scriptOptions: unknown = {};
  readonly iterationSettings: IterationSettings = {
    noCookiesReset: false,
    noVUConnectionReuse: false,
    minIterationDurationMs: 0,
  };
  vusActive = 0;
  vusInitialized = 0;
  iterationsCompleted = 0;
  iterationsInterrupted = 0;
  startedAt = performance.now();
  abortReason: string | undefined;
  failReason: string | undefined;
  /** how the runner itself keeps up: read each second, judged like any generator */
  readonly generator = new GeneratorMeter();
  /** on an agent: each second's requests and checks, as the rows every run stores */
  intervals: IntervalRecorder | undefined;
  readonly #body: ModuleBody;
  readonly #shared = new Map<string, readonly unknown[]>();
  readonly #files = new Map<string, string | ArrayBuffer>();
  readonly #shippedFiles: ReadonlyMap<string, Buffer> | undefined;
  /** every file open() read from disk, by the path the script gave (what the fleet ships) */
  readonly opened = new Map<string, Buffer>();
  readonly #log: RuntimeSettings['log'];
  readonly #mapStack: RuntimeSettings['mapStack'];
  #nextVuId = 1;

  constructor(settings: RuntimeSettings) {
    this.registry = settings.registry;
    this.http = settings.http;
    this.baseTags = settings.tags;
    this.env = settings.env;
    this.entry = settings.entry;
    this.#log = settings.log;
    this.#mapStack = settings.mapStack;
    this.#shippedFiles = settings.files;
    const context = vm.createContext({
      console: this.#console(),
      setTimeout,
      clearTimeout,
      setInterval,
      clearInterval,
    });
    this.#body = new vm.Script(settings.source, { filename: settings.entry }).runInContext(
      context,
    ) as ModuleBody;
  }

  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  /** An error as k6 prints it: the message and the script's own frames, at its own lines. */
  describeError(error: unknown): string {
    if (typeof error !== 'object' || error === null || !('message' in error)) {
      return `Uncaught (in promise) ${String(error)}`;
    }
    const e = error as Error;
    const [head, ...frames] = this.#mapStack(e.stack ?? `${e.name}: ${e.message}`).split('\n');
    const own = frames.filter(
      (f) => !/\(node:|\/dist\/|node_modules|at node:|at file:|<anonymous>/.test(f),
    );
    return [head, ...own].join('\n');
  }

  log(level: LogLevel, message: string): void {
    this.#log(level, message);
  }

  metric(name: string, value: number, tags: Tags): void {
    const metric = this.registry.get(name);
    if (!metric) throw new MetricError(`metric "${name}" was never declared`);
    metric.add(value, tags);
  }

  recordCheck(group: string, name: string, passed: boolean): void {
    const byName = this.checks.get(group) ?? new Map<string, CheckCount>();
    this.checks.set(group, byName);
    const count = byName.get(name) ?? { passes: 0, fails: 0 };
    byName.set(name, count);
    if (passed) count.passes++;
    else count.fails++;
    this.intervals?.check(passed);
  }

  recordGroup(path: string): void {
    if (!this.groups.includes(path)) this.groups.push(path);
  }

  abortTest(reason: string): void {
    this.abortReason ??= reason;
  }

  failTest(reason: string): void {
    this.failReason ??= reason;
  }

  sharedArray(name: string, load: () => unknown[]): readonly unknown[] {
    const existing = this.#shared.get(name);
    if (existing) return existing;
    const items = load();
    if (!Array.isArray(items))
      throw new TypeError(`SharedArray "${name}": the function must return an array`);
    const frozen = deepFreeze(structuredClone(items));
    this.#shared.set(name, frozen);
    return frozen;
  }

  /** open(): files relative to the script (or as shipped), read once per process. */
  open(path: string, mode?: string): string | ArrayBuffer {
    const key = `${mode === 'b' ? 'b' : 's'}:${path}`;
    const cached = this.#files.get(key);
    if (cached !== undefined) return cached;
    const bytes = this.#shippedFiles ? this.#shippedFiles.get(path) : this.#readOwn(path);
    if (bytes === undefined) {
      throw new Error(
        `open("${path}"): the script did not open this file when its init ran before the launch, so it was not sent to the agents`,
      );
    }
    const value = mode === 'b' ? toArrayBuffer(bytes) : bytes.toString('utf8');
    this.#files.set(key, value);
    return value;
  }

  #readOwn(path: string): Buffer {
    const bytes = readFileSync(resolve(dirname(this.entry), path));
    this.opened.set(path, bytes);
    return bytes;
  }

  /** A new VU: runs the script's init code for it and keeps its exports. */
  newVu(): Vu {
    const vu = new Vu(this, this.#nextVuId++);
    const modules = new Map<string, Record<string, unknown>>();
    const moduleOf = (spec: string): Record<string, unknown> => {
      let module = modules.get(spec);
      if (!module) {
        module = vu.module(spec);
        modules.set(spec, module);
      }
      return module;
    };
    const open = (path: string, mode?: string) => {
      if (vu.phase !== 'init') throw new Error('open() can only be called in the init context');
      return this.open(path, mode);
    };
    this.#body({ import: moduleOf }, vu, vu.exports, open, (spec) => moduleOf(spec).default);
    vu.phase = 'vu';
    this.vusInitialized++;
    return vu;
  }

  #console(): Record<string, (...args: unknown[]) => void> {
    const write =
      (level: LogLevel) =>
      (...args: unknown[]) =>
        this.#log(level, args.map((a) => (typeof a === 'string' ? a : safeJson(a))).join(' '));
    return {
      log: write('info'),
      info: write('info'),
      warn: write('warn'),
      error: write('error'),
      debug: write('debug'),
    };
  }
}

function safeJson(value: unknown): string {
  if (value instanceof Error) return value.stack ?? value.message;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

export class Vu {
  readonly exports: Record<string, unknown> = {};
  jar = new CookieJar();
  readonly connections: VuConnections;
  phase: 'init' | 'vu' = 'init';
  /** __ITER: this VU's iterations in the current scenario */
  iteration = 0;
  iterationInInstance = 0;
  scenarioIteration = 0;
  /** how late this arrival-rate iteration started (ms); the first request carries it */
  startLag = 0;
  env: Record<string, string>;
  /** exec.vu.tags: set by the script, added to every sample */
  tags: Tags = {};
  groupPath = '';
  scenario: ScenarioHandle | undefined;
  /** the blocking call made and not yet awaited, if any */
  pending: string | undefined;
  #controller = new AbortController();

  constructor(
    readonly runtime: K6Runtime,
    readonly id: number,
  ) {
    this.env = runtime.env;
    this.connections = new VuConnections(runtime.http);
  }

  get idInInstance(): number {
    return this.id;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Called by the transform at each await site of a blocking call. */
  settle<T>(value: T): T {
    this.pending = undefined;
    return value;
  }

  assertInVuCode(call: string): void {
    if (this.phase === 'init') {
      throw new Error(
        `${call}() is not allowed in the init context (k6 allows it only in VU code)`,
      );
    }
    if (this.pending !== undefined) throw new UnawaitedCallError(this.pending);
  }

  tagsNow(): Tags {
    const scenario = this.scenario;
    return {
      ...this.runtime.baseTags,
      ...scenario?.tags,
      ...(scenario ? { scenario: scenario.name } : {}),
      ...this.tags,
      group: this.groupPath,
    };
  }

  /** Stops what the VU waits on now (a request, a sleep); the next iteration starts afresh. */
  interrupt(): void {
    this.#controller.abort();
    this.connections.interrupt();
  }

  rearm(): void {
    if (this.#controller.signal.aborted) this.#controller = new AbortController();
  }

  module(spec: string): Record<string, unknown> {
    switch (spec) {
      case 'k6':
        return withDefault(k6Module(this));
      case 'k6/http':
        return withDefault(new HttpModule(this) as unknown as Record<string, unknown>, true);
      case 'k6/metrics':
        return withDefault(metricsModule(this));
      case 'k6/execution':
        return withDefault(executionModule(this), true);
      case 'k6/encoding':
        return withDefault(encodingModule);
      case 'k6/crypto':
        return withDefault(cryptoModule);
      case 'k6/data':
        return withDefault(dataModule(this));
      case 'k6/html':
        return withDefault({ parseHTML });
      default:
        throw new Error(`module "${spec}" is not supported`);
    }
  }

  async close(): Promise<void> {
    await this.connections.close();
  }
}

/**
 * A module namespace: `default` is the module object itself. Named imports read from it
 * live when `live` (getters such as exec.scenario must be read at use, not at import).
 */
function withDefault(module: Record<string, unknown>, live = false): Record<string, unknown> {
  if (!live) return { ...module, default: module };
  return new Proxy(module, {
    get: (target, key) => (key === 'default' ? target : Reflect.get(target, key)),
  });
}

export { CookieJar };
