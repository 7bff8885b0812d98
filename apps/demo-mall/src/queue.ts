/**
 * The order event queue: the order service publishes `order-placed` after it commits an
 * order; inventory instances consume it (competing consumers) and take the stock.
 */
import { type ConnectionOptions, type Job, Queue, Worker } from 'bullmq';
import { z } from 'zod';

export const ORDER_PLACED = 'order-placed';

export const OrderPlaced = z.object({
  orderId: z.number().int().positive(),
  ref: z.string().min(1),
  userId: z.string().min(1),
  items: z.array(z.object({ productId: z.number().int(), qty: z.number().int().positive() })),
  /** the shadow tag and baggage of the request that placed the order */
  headers: z.record(z.string(), z.string()).default({}),
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
    this.#queue = new Queue(names.queue, { connection, prefix: names.prefix });
    this.#queue.on('error', () => {});
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

  close(): Promise<void> {
    return this.#queue.close();
  }
}

export function consumeOrders(
  connection: ConnectionOptions,
  names: QueueNames,
  handle: (event: OrderPlaced) => Promise<void>,
  onOutcome: (outcome: 'completed' | 'failed', error?: Error) => void,
): Worker {
  const worker = new Worker(
    names.queue,
    async (job: Job) => {
      const parsed = OrderPlaced.safeParse(job.data);
      if (!parsed.success) throw new Error(`bad ${ORDER_PLACED} job: ${parsed.error.message}`);
      await handle(parsed.data);
    },
    { connection, prefix: names.prefix, concurrency: 4 },
  );
  worker.on('error', () => {});
  worker.on('completed', () => onOutcome('completed'));
  worker.on('failed', (_job, error) => onOutcome('failed', error));
  return worker;
}
