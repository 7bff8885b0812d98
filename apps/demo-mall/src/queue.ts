/**
 * The order event queue: the order service publishes `order-placed` after it commits an
 * order; inventory instances consume it (competing consumers) and take the stock. Shadow
 * orders go to the shadow queue (`shadow:<prefix>:<queue>`, the SDK's `shadowQueue`) with
 * the tag in the job, and a shadow worker beside each production one consumes them in the
 * tag's context (`shadowWorkers`), so their stock is taken from shadow inventory.
 */
import { type Shadow, shadowQueue, shadowWorkers } from '@loadline/shadow';
import { type ConnectionOptions, type Job, Queue, Worker } from 'bullmq';
import { z } from 'zod';
import type { Traffic } from './metrics.js';

export const ORDER_PLACED = 'order-placed';

export const OrderPlaced = z.object({
  orderId: z.number().int().positive(),
  ref: z.string().min(1),
  userId: z.string().min(1),
  items: z.array(z.object({ productId: z.number().int(), qty: z.number().int().positive() })),
});
export type OrderPlaced = z.infer<typeof OrderPlaced>;

export interface QueueNames {
  /** BullMQ key prefix (keys are `<prefix>:<queue>:…`) */
  prefix: string;
  queue: string;
}

export class OrderPublisher {
  readonly #queue: Queue;

  constructor(connection: ConnectionOptions, names: QueueNames) {
    const queue = new Queue(names.queue, { connection, prefix: names.prefix });
    queue.on('error', () => {});
    this.#queue = shadowQueue(queue);
  }

  async publish(event: OrderPlaced): Promise<void> {
    await this.#queue.add(ORDER_PLACED, event, {
      // One job per order: a retried publish does not take stock twice.
      jobId: event.ref,
      attempts: 5,
      backoff: { type: 'exponential', delay: 200 },
      removeOnComplete: 1000,
      removeOnFail: 5000,
    });
  }

  /** Closes the production queue and, when shadow traffic opened it, the shadow one. */
  close(): Promise<void> {
    return this.#queue.close();
  }
}

export interface OrderConsumer {
  close(): Promise<void>;
}

export function consumeOrders(
  shadow: Shadow,
  connection: ConnectionOptions,
  names: QueueNames,
  handle: (event: OrderPlaced) => Promise<void>,
  onOutcome: (outcome: 'completed' | 'failed', traffic: Traffic, error?: Error) => void,
): OrderConsumer {
  const workers = shadowWorkers(
    Worker,
    shadow,
    names.queue,
    async (job: Job) => {
      const parsed = OrderPlaced.safeParse(job.data);
      if (!parsed.success) throw new Error(`bad ${ORDER_PLACED} job: ${parsed.error.message}`);
      await handle(parsed.data);
    },
    { connection, prefix: names.prefix, concurrency: 4 },
  );
  const traffics = [
    [workers.production, 'production'],
    [workers.shadow, 'shadow'],
  ] as const;
  for (const [worker, traffic] of traffics) {
    worker.on('error', () => {});
    worker.on('completed', () => onOutcome('completed', traffic));
    worker.on('failed', (_job, error) => onOutcome('failed', traffic, error));
  }
  return workers;
}
