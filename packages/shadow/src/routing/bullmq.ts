// BullMQ routing. Shadow jobs go to a shadow queue: the same queue name under the key
// prefix `shadow:<prefix>` (so the Redis guard's single `shadow:` rule covers them), and
// are consumed by a sibling shadow worker. The tag travels in the job data under
// JOB_TAG_KEY: job data is the one carrier BullMQ persists verbatim through retries,
// delays, flows and repeats (opts.telemetry.metadata is overwritten when the app uses
// BullMQ telemetry). The consumer removes it before the processor sees the data.
import type {
  Job,
  JobsOptions,
  Processor,
  Queue,
  QueueOptions,
  Worker,
  WorkerOptions,
} from 'bullmq';
import { currentShadow, runInShadow, type ShadowContext } from '../context.js';
import { logText } from '../log-text.js';
import type { Shadow } from '../shadow.js';
import { SHADOW_KEY_PREFIX } from './redis-keys.js';

export const JOB_TAG_KEY = '__loadlineShadow';
const DEFAULT_PREFIX = 'bull';

export function shadowPrefix(prefix: string | undefined): string {
  const p = prefix ?? DEFAULT_PREFIX;
  return p.startsWith(SHADOW_KEY_PREFIX) ? p : `${SHADOW_KEY_PREFIX}${p}`;
}

export function isShadowQueue(queue: { opts: { prefix?: string } }): boolean {
  return (queue.opts.prefix ?? DEFAULT_PREFIX).startsWith(SHADOW_KEY_PREFIX);
}

/** Job data with the tag attached. Non-object data cannot carry it (see README). */
export function tagJobData<D>(data: D, ctx: ShadowContext): D {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return data;
  return { ...data, [JOB_TAG_KEY]: ctx.tag };
}

function takeJobTag(job: Job): string | undefined {
  const data = job.data as Record<string, unknown> | null;
  if (data === null || typeof data !== 'object') return undefined;
  const tag = data[JOB_TAG_KEY];
  delete data[JOB_TAG_KEY];
  return typeof tag === 'string' ? tag : undefined;
}

type QueueCtor = new (name: string, opts?: QueueOptions) => Queue;
const siblings = new WeakMap<Queue, Queue>();

/** The shadow queue paired with `queue`, created once. */
export function shadowQueueFor(queue: Queue): Queue {
  let sibling = siblings.get(queue);
  if (!sibling) {
    const Ctor = queue.constructor as QueueCtor;
    sibling = new Ctor(queue.name, { ...queue.opts, prefix: shadowPrefix(queue.opts.prefix) });
    siblings.set(queue, sibling);
  }
  return sibling;
}

type AddBulkJobs = Parameters<Queue['addBulk']>[0];

/** Adds to the shadow queue with the tag in the data. */
export function addShadowJob(
  queue: Queue,
  ctx: ShadowContext,
  name: string,
  data: unknown,
  opts?: JobsOptions,
) {
  return shadowQueueFor(queue).add(name, tagJobData(data, ctx), opts);
}

export function addShadowJobs(queue: Queue, ctx: ShadowContext, jobs: AddBulkJobs) {
  return shadowQueueFor(queue).addBulk(jobs.map((j) => ({ ...j, data: tagJobData(j.data, ctx) })));
}

/** Wraps a producer: in a tagged context, add/addBulk and queries go to the shadow queue. */
export function shadowQueue<T extends Queue>(queue: T): T {
  return new Proxy(queue, {
    get(target, prop, receiver) {
      // The shadow sibling holds connections of its own: closing the wrapper closes both.
      if (prop === 'close') {
        return async () => {
          await siblings.get(target)?.close();
          return target.close();
        };
      }
      const ctx = currentShadow();
      if (!ctx || prop === 'on' || prop === 'once' || prop === 'off') {
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      if (prop === 'add') {
        return (name: string, data: unknown, opts?: JobsOptions) =>
          addShadowJob(target, ctx, name, data, opts);
      }
      if (prop === 'addBulk') return (jobs: AddBulkJobs) => addShadowJobs(target, ctx, jobs);
      const sibling = shadowQueueFor(target);
      const value = Reflect.get(sibling, prop, sibling);
      return typeof value === 'function' ? value.bind(sibling) : value;
    },
  });
}

export class UntrustedShadowJobError extends Error {
  override readonly name = 'UntrustedShadowJobError';
}

/**
 * Processor for a shadow queue: restores the job's context, then runs `processor`.
 * A job without a valid tag fails rather than run as production; an expired tag is
 * accepted, because the job already lives in shadow storage, and so is one bound to
 * another target: the job was queued from a verified, tagged context.
 */
export function shadowProcessor<D, R, N extends string>(
  shadow: Shadow,
  processor: Processor<D, R, N>,
): Processor<D, R, N> {
  return (job, token, signal) => {
    const tag = takeJobTag(job as Job);
    const ctx = tag === undefined ? undefined : shadow.accept(tag, { via: 'job' });
    if (!ctx) {
      throw new UntrustedShadowJobError(`shadow job ${logText(String(job.id))} has no valid tag`);
    }
    return runInShadow(ctx, () => processor(job, token, signal));
  };
}

/** Processor for a production queue: a stray tag is removed and never trusted. */
export function productionProcessor<D, R, N extends string>(
  processor: Processor<D, R, N>,
): Processor<D, R, N> {
  return (job, token, signal) => {
    takeJobTag(job as Job);
    return processor(job, token, signal);
  };
}

type WorkerCtor = new (
  name: string,
  processor: Processor,
  opts: WorkerOptions,
  backendFactory?: undefined,
) => Worker;

export interface ShadowWorkerSet {
  production: Worker;
  shadow: Worker;
  close(): Promise<void>;
}

/** A production worker and its shadow sibling for the same queue name and options. */
export function shadowWorkers(
  WorkerClass: WorkerCtor,
  shadow: Shadow,
  name: string,
  processor: Processor,
  opts: WorkerOptions,
): ShadowWorkerSet {
  const production = new WorkerClass(name, productionProcessor(processor), opts);
  const shadowWorker = new WorkerClass(name, shadowProcessor(shadow, processor), {
    ...opts,
    prefix: shadowPrefix(opts.prefix),
  });
  return {
    production,
    shadow: shadowWorker,
    async close() {
      await Promise.all([production.close(), shadowWorker.close()]);
    },
  };
}
