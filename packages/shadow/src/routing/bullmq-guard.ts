// Lowest-level BullMQ integration: patches Queue.prototype.add/addBulk, so a raw Queue is
// caught too. In a tagged context an add to a production queue is refused and reported,
// or with `route: true` (the zero-code preload) sent to the shadow queue. With `route`,
// every Worker also starts a shadow sibling (patched run/close) so shadow jobs are consumed.
import type { Processor, Queue, Worker } from 'bullmq';
import { currentShadow } from '../context.js';
import type { Shadow } from '../shadow.js';
import {
  addShadowJob,
  addShadowJobs,
  isShadowQueue,
  shadowPrefix,
  shadowProcessor,
} from './bullmq.js';

type Fn = (this: unknown, ...args: unknown[]) => unknown;

export interface BullmqModule {
  Queue: { prototype: object };
  Worker?: { prototype: object };
}

export interface InstrumentBullmqOptions {
  route?: boolean;
}

const PATCHED = Symbol.for('loadline.shadow.bullmq');
const SIBLING = Symbol('loadline.shadow.sibling-worker');

export function instrumentBullmq(
  bullmq: BullmqModule,
  shadow: Shadow,
  options: InstrumentBullmqOptions = {},
): void {
  const proto = bullmq.Queue.prototype as Record<string | symbol, unknown>;
  if (proto[PATCHED]) return;
  const add = proto.add as Fn;
  const addBulk = proto.addBulk as Fn;

  proto.add = function guardedAdd(this: Queue, ...args: unknown[]) {
    const ctx = currentShadow();
    if (!ctx || isShadowQueue(this)) return add.apply(this, args);
    if (options.route) {
      return addShadowJob(this, ctx, args[0] as string, args[1], args[2] as never);
    }
    return Promise.reject(
      shadow.leak(ctx, 'queue', this.qualifiedName, `refused add(${String(args[0])})`),
    );
  };
  proto.addBulk = function guardedAddBulk(this: Queue, ...args: unknown[]) {
    const ctx = currentShadow();
    if (!ctx || isShadowQueue(this)) return addBulk.apply(this, args);
    if (options.route) return addShadowJobs(this, ctx, args[0] as never);
    return Promise.reject(shadow.leak(ctx, 'queue', this.qualifiedName, 'refused addBulk'));
  };

  if (options.route && bullmq.Worker) patchWorker(bullmq.Worker.prototype, shadow);
  proto[PATCHED] = true;
}

interface WorkerInternals {
  name: string;
  opts: Worker['opts'];
  processFn?: Processor;
  [SIBLING]?: Worker;
}

function patchWorker(proto: object, shadow: Shadow): void {
  const p = proto as Record<string, unknown>;
  const run = p.run as Fn;
  const close = p.close as Fn;
  p.run = function runWithShadowSibling(this: Worker & WorkerInternals, ...args: unknown[]) {
    // Sandboxed (file) processors run in another process and cannot restore context here.
    if (!isShadowQueue(this) && !this[SIBLING] && typeof this.processFn === 'function') {
      const Ctor = this.constructor as new (n: string, pr: Processor, o: object) => Worker;
      this[SIBLING] = new Ctor(this.name, shadowProcessor(shadow, this.processFn), {
        ...this.opts,
        prefix: shadowPrefix(this.opts.prefix),
        autorun: true,
      });
    }
    return run.apply(this, args);
  };
  p.close = async function closeWithShadowSibling(
    this: Worker & WorkerInternals,
    ...args: unknown[]
  ) {
    await this[SIBLING]?.close(...(args as [boolean?]));
    return close.apply(this, args);
  };
}
