// Weight-shift capacity probes, the way Alibaba finds one machine's redline online: on the
// traffic already flowing, raise one instance's weight at the gateway level by level, read
// the instance's own /metrics, and stop at the first confirmed breach of its SLO. The
// weights found are stored before the first change and put back however the probe ends —
// its last level, a stop, a guardrail, its traffic run ending, this control stopping — and,
// if this control dies first, by the control active next (recover()).

import { TERMINAL_STATUSES } from '@loadline/api';
import type {
  MetricsTarget,
  WeightProbe,
  WeightProbeBody,
  WeightProbeLevel,
} from '@loadline/api/http';
import { sloLimit } from '@loadline/capacity';
import type { MetadataStore, WeightProbeRow } from '@loadline/metadata';
import {
  bucketQuantile,
  type IntervalBuckets,
  mergeBuckets,
  type TargetMetricRow,
  TargetScraper,
} from '@loadline/metrics';
import { parseDuration } from '@loadline/scenario';
import { HttpProblem } from './problem.js';
import { levelWeights, type WeightDriverClient, weightDriverFor } from './weight-driver.js';

/**
 * A second whose p99 is this many times the SLO's (or whose CPU is past the ceiling by this
 * much) ends the probe at once, unconfirmed: past it the instance is hurting real traffic.
 */
const GUARD_P99_FACTOR = 3;
const GUARD_CPU_MARGIN = 0.15;
/** seconds of a guard breach, or of the instance not answering its /metrics, that end it */
const GUARD_SECONDS = 2;
/** how long a restore is retried before it is left to the next sweep */
const RESTORE_ATTEMPTS = 10;

interface Running {
  abort: AbortController;
  done: Promise<void>;
}

export interface WeightProbesOptions {
  log: (line: string) => void;
  fetch?: typeof fetch;
}

export class WeightProbes {
  readonly #metadata: MetadataStore;
  readonly #options: WeightProbesOptions;
  readonly #running = new Map<string, Running>();

  constructor(metadata: MetadataStore, options: WeightProbesOptions) {
    this.#metadata = metadata;
    this.#options = options;
  }

  /** Checks the probe, stores it with the weights found, and starts its first level. */
  async start(input: WeightProbeBody, createdBy: string): Promise<WeightProbe> {
    const environment = await this.#metadata.getEnvironment(input.environment);
    if (environment.protected) {
      throw new HttpProblem(
        409,
        'protected environment',
        `environment "${environment.name}" is protected: weight-shift probes there would move live traffic without a second operator's approval, which they cannot ask for yet`,
      );
    }
    const driverConfig = environment.weightDrivers[input.service];
    if (!driverConfig) {
      throw field(
        'service',
        `environment "${environment.name}" has no weightDrivers entry for "${input.service}": nothing could move its traffic`,
      );
    }
    const targets = environment.metricsTargets.filter((t) => t.service === input.service);
    const target = targets[input.instance];
    if (!target) {
      throw field(
        'instance',
        `"${input.service}" has ${targets.length} metricsTarget(s) in environment "${environment.name}": no instance ${input.instance}`,
      );
    }
    for (const running of await this.#metadata.unrestoredWeightProbes()) {
      if (running.environment === environment.name && running.service === input.service) {
        throw new HttpProblem(
          409,
          'probe in progress',
          `probe ${running.id} is moving "${input.service}"'s weights in "${environment.name}" (${running.status}, not yet restored)`,
        );
      }
    }
    if (input.run !== undefined) {
      const run = await this.#metadata.getRun(input.run).catch(() => undefined);
      if (!run) throw new HttpProblem(404, 'not found', `no run ${input.run}`);
      if (run.environment !== environment.name || TERMINAL_STATUSES.has(run.status)) {
        throw field(
          'run',
          `run ${run.id} is ${run.status} in "${run.environment}": no traffic to shift`,
        );
      }
    }
    const driver = weightDriverFor(driverConfig, input.service, this.#options.fetch);
    const original = await driver.read().catch((error: Error) => {
      throw new HttpProblem(502, 'weight driver failed', error.message);
    });
    if (original.length !== targets.length) {
      throw field(
        'service',
        `the gateway lists ${original.length} weight(s) for "${input.service}", environment "${environment.name}" ${targets.length} metricsTarget(s): weight i must belong to target i`,
      );
    }
    const levels = levelWeights(original, input.instance, input.levels, input.maxShare);
    if (levels[0]!.share >= input.maxShare) {
      throw field(
        'maxShare',
        `instance ${input.instance} already has ${pct(levels[0]!.share)} of "${input.service}"'s weight, not below maxShare ${pct(input.maxShare)}`,
      );
    }
    if (original.reduce((a, b) => a + b, 0) === original[input.instance]) {
      throw field(
        'instance',
        `instance ${input.instance} already carries all of "${input.service}"`,
      );
    }
    const row = await this.#metadata.createWeightProbe({
      environment: environment.name,
      service: input.service,
      instance: input.instance,
      instanceUrl: target.url,
      input: JSON.parse(JSON.stringify(input)),
      driver: driverConfig,
      originalWeights: original,
      createdBy,
    });
    const abort = new AbortController();
    const done = this.#probe(row, input, driver, target, levels, abort.signal)
      .catch((error: Error) => this.#options.log(`probe ${row.id}: ${error.stack ?? error}`))
      .finally(() => this.#running.delete(row.id));
    this.#running.set(row.id, { abort, done });
    return viewOf(row);
  }

  async get(id: string): Promise<WeightProbe> {
    return viewOf(await this.#metadata.getWeightProbe(id));
  }

  /** Stops a running probe; answers once its weights are back (or the restore gave up). */
  async stop(id: string, reason: string): Promise<WeightProbe> {
    const row = await this.#metadata.getWeightProbe(id);
    const running = this.#running.get(id);
    if (!running) {
      if (row.status !== 'running') {
        throw new HttpProblem(409, 'probe is not running', `probe ${id} is ${row.status}`);
      }
      // Running in no control (its control died): restore now rather than at the next sweep.
      await this.#restore(row, 'aborted', reason);
      return this.get(id);
    }
    running.abort.abort(reason);
    await running.done;
    return this.get(id);
  }

  /**
   * Puts back the weights of every probe no control is running (its control died mid-probe,
   * or a restore gave up): called as this control becomes the active one, and every sweep.
   */
  async recover(): Promise<void> {
    for (const row of await this.#metadata.unrestoredWeightProbes()) {
      if (this.#running.has(row.id)) continue;
      await this.#restore(row, 'aborted', 'its control went away before it ended');
    }
  }

  /** Ends every running probe, weights restored: this control stops being the active one. */
  async close(): Promise<void> {
    for (const running of this.#running.values()) running.abort.abort('control is stopping');
    await Promise.all([...this.#running.values()].map((r) => r.done));
  }

  async #probe(
    row: WeightProbeRow,
    input: WeightProbeBody,
    driver: WeightDriverClient,
    target: MetricsTarget,
    plan: { share: number; weights: number[] }[],
    signal: AbortSignal,
  ): Promise<void> {
    const holdMs = parseDuration(input.hold) ?? 20_000;
    const settleMs = Math.min(parseDuration(input.settle) ?? 3000, holdMs - 1000);
    const levels: WeightProbeLevel[] = [];
    let window: { rows: TargetMetricRow[]; buckets: IntervalBuckets[] } | undefined;
    let guardSeconds = 0;
    let silentSeconds = 0;
    let guard: string | undefined;
    const scraper = new TargetScraper(row.id, [target], {
      onRows: (rows) => {
        const own = rows.filter((r) => r.instance === target.url);
        if (window) window.rows.push(...own);
        silentSeconds = 0;
        const breach = own.map((r) => guardBreach(r, input)).find((b) => b !== undefined);
        guardSeconds = breach ? guardSeconds + 1 : 0;
        if (guardSeconds >= GUARD_SECONDS) guard ??= breach;
      },
      onBuckets: (intervals) => {
        if (window) window.buckets.push(...intervals.filter((b) => b.instance === target.url));
      },
      onFailure: (_target, reason) => {
        silentSeconds++;
        if (silentSeconds > GUARD_SECONDS) guard ??= `${target.url} did not answer (${reason})`;
      },
      log: this.#options.log,
    });
    /**
     * Waits `ms`, looking every quarter second for a guardrail (which ends the wait at once)
     * and, each second, for the end of the run carrying the traffic.
     */
    const watch = async (ms: number) => {
      const until = Date.now() + ms;
      let runCheckedAt = 0;
      while (Date.now() < until && guard === undefined) {
        await sleep(Math.min(250, until - Date.now()), signal);
        if (input.run === undefined || Date.now() - runCheckedAt < 1000) continue;
        runCheckedAt = Date.now();
        const run = await this.#metadata.getRun(input.run);
        if (TERMINAL_STATUSES.has(run.status)) {
          throw new Ended('aborted', `its traffic run ${run.id} ended (${run.status})`);
        }
      }
    };
    let status: 'finished' | 'aborted' | 'failed' = 'finished';
    let reason = '';
    scraper.start();
    try {
      for (const [k, level] of plan.entries()) {
        if (k > 0) await driver.write(level.weights);
        await watch(settleMs);
        window = { rows: [], buckets: [] };
        await watch(holdMs - settleMs);
        const seen = window;
        window = undefined;
        // A guardrail in the settle leaves nothing measured at this level: none is recorded.
        if (seen.rows.length > 0 || guard === undefined) {
          levels.push(measure(level, seen, input, k === 0));
          await this.#metadata.recordWeightProbeLevels(row.id, levels);
        }
        if (guard !== undefined) {
          reason = `guardrail at ${pct(level.share)} of the weight: ${guard}`;
          break;
        }
        const measured = levels.at(-1)!;
        const previous = levels.at(-2);
        if (measured.breaches.length > 0 && previous && previous.breaches.length > 0) {
          reason = `SLO broken at ${pct(previous.share)} and again at ${pct(level.share)} of the weight: ${measured.breaches[0]}`;
          break;
        }
      }
      reason ||= `no confirmed breach up to ${pct(input.maxShare)} of the weight: the redline is above what was carried`;
    } catch (error) {
      if (error instanceof Ended) [status, reason] = [error.status, error.message];
      else if (signal.aborted) [status, reason] = ['aborted', String(signal.reason)];
      else [status, reason] = ['failed', (error as Error).message];
    } finally {
      await scraper.stop();
    }
    const limit = levels.length >= 2 ? sloLimit(levels.map(forLimit), input.slo) : undefined;
    const redline =
      limit === undefined
        ? null
        : {
            qps: limit.qps,
            lowerBound: !limit.breached,
            by: limit.by,
            ...(limit.between ? { between: limit.between } : {}),
          };
    await this.#metadata.endWeightProbe(row.id, { status, reason, levels, redline });
    await this.#restore(row, status, reason);
  }

  /** Puts a probe's original weights back, retrying a while; ends it if it had not ended. */
  async #restore(row: WeightProbeRow, status: 'finished' | 'aborted' | 'failed', reason: string) {
    const driver = weightDriverFor(row.driver, row.service, this.#options.fetch);
    for (let attempt = 1; attempt <= RESTORE_ATTEMPTS; attempt++) {
      try {
        await driver.write(row.originalWeights);
        await this.#metadata.endWeightProbe(row.id, { status, reason });
        await this.#metadata.markWeightsRestored(row.id);
        this.#options.log(`probe ${row.id}: ${row.service}'s weights restored (${reason})`);
        return;
      } catch (error) {
        this.#options.log(
          `probe ${row.id}: restoring ${row.service}'s weights failed (attempt ${attempt}): ${(error as Error).message}`,
        );
        await sleep(1000);
      }
    }
  }
}

class Ended extends Error {
  constructor(
    readonly status: 'aborted' | 'failed',
    message: string,
  ) {
    super(message);
  }
}

/** What one level measured on the instance, from its seconds after the settle. */
function measure(
  level: { share: number; weights: number[] },
  window: { rows: TargetMetricRow[]; buckets: IntervalBuckets[] },
  input: WeightProbeBody,
  warmUp: boolean,
): WeightProbeLevel {
  const sum = (f: (r: TargetMetricRow) => number) => window.rows.reduce((a, r) => a + f(r), 0);
  const seconds = sum((r) => r.intervalS);
  const per = (x: number) => (seconds > 0 ? x / seconds : 0);
  // A latency quantile over many seconds from their merged histogram, never an average of
  // per-second p99s.
  const p99 = bucketQuantile(mergeBuckets(window.buckets.map((b) => b.buckets)), 0.99);
  const knows = (f: (r: TargetMetricRow) => number | undefined) =>
    window.rows.length > 0 && window.rows.every((r) => (f(r) ?? -1) >= 0);
  const measured = {
    share: level.share,
    weights: level.weights,
    seconds,
    qps: per(sum((r) => r.requests)),
    p99Ms: p99 === null ? -1 : p99 * 1000,
    cpu: knows((r) => r.cpuSeconds) ? per(sum((r) => r.cpuSeconds)) / input.cores : -1,
    concurrency: knows((r) => r.busySeconds) ? per(sum((r) => r.busySeconds ?? 0)) : -1,
    warmUp,
  };
  const breaches: string[] = [];
  if (!warmUp && input.slo.p99Ms !== undefined && measured.p99Ms > input.slo.p99Ms) {
    breaches.push(`p99 ${measured.p99Ms.toFixed(1)} ms > ${input.slo.p99Ms} ms`);
  }
  if (!warmUp && input.slo.cpuCeiling !== undefined && measured.cpu > input.slo.cpuCeiling) {
    breaches.push(`CPU ${pct(measured.cpu)} > ${pct(input.slo.cpuCeiling)}`);
  }
  return { ...measured, breaches };
}

function guardBreach(row: TargetMetricRow, input: WeightProbeBody): string | undefined {
  const { p99Ms, cpuCeiling } = input.slo;
  if (p99Ms !== undefined && row.p99Ms > GUARD_P99_FACTOR * p99Ms) {
    return `p99 ${row.p99Ms.toFixed(1)} ms > ${GUARD_P99_FACTOR}× the SLO's ${p99Ms} ms`;
  }
  const cpu = row.cpuSeconds >= 0 ? row.cpuSeconds / row.intervalS / input.cores : -1;
  if (cpuCeiling !== undefined && cpu > Math.min(1, cpuCeiling + GUARD_CPU_MARGIN)) {
    return `CPU ${pct(cpu)} > ${pct(Math.min(1, cpuCeiling + GUARD_CPU_MARGIN))}`;
  }
  return undefined;
}

const forLimit = (l: WeightProbeLevel) => ({
  qps: l.qps,
  p99Ms: l.p99Ms,
  cpu: l.cpu,
  warmUp: l.warmUp,
});

const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)} %`;

function field(name: string, message: string): HttpProblem {
  return new HttpProblem(422, 'cannot probe', message, { errors: [{ field: name, message }] });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function viewOf(row: WeightProbeRow): WeightProbe {
  return {
    id: row.id,
    environment: row.environment,
    service: row.service,
    instance: row.instance,
    instanceUrl: row.instanceUrl,
    input: row.input,
    status: row.status,
    originalWeights: row.originalWeights,
    levels: row.levels,
    redline: (row.redline as WeightProbe['redline']) ?? null,
    reason: row.reason,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    endedAt: row.endedAt?.toISOString() ?? null,
    restoredAt: row.restoredAt?.toISOString() ?? null,
  };
}
