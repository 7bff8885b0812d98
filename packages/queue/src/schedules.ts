import { Queue, Worker } from 'bullmq';
import { z } from 'zod';
import { bullConnection, type Redis } from './connection.js';
import { logErrors } from './errors.js';
import type { RedisNames } from './names.js';

/** What one firing of a schedule carries: which schedule (Postgres holds the rest). */
export const ScheduleFiring = z.object({ scheduleId: z.string().min(1) });
export type ScheduleFiring = z.infer<typeof ScheduleFiring>;

/** A schedule's timer: a cron expression in a time zone, keyed by the schedule's id. */
export interface ScheduleTimer {
  id: string;
  cron: string;
  timezone: string;
}

/**
 * The timers of cron schedules, as BullMQ job schedulers on the schedule queue: each firing
 * is one job carrying the schedule's id.
 */
export class ScheduleQueue {
  readonly #queue: Queue;
  readonly #release: () => void;

  /** `log` hears the queue's errors (Redis unreachable, say), with the queue's name. */
  constructor(redis: Redis, names: RedisNames, log: (line: string) => void) {
    // Options, not an instance: the queue owns (and closes) its connection.
    const { connection, release } = bullConnection(redis);
    this.#release = release;
    this.#queue = new Queue(names.scheduleQueue, { connection, prefix: names.bullPrefix });
    logErrors(this.#queue, `schedule queue ${names.scheduleQueue}`, log);
  }

  /** Creates or replaces the timer of schedule `timer.id`. */
  async upsert(timer: ScheduleTimer): Promise<void> {
    const firing: ScheduleFiring = { scheduleId: timer.id };
    await this.#queue.upsertJobScheduler(
      timer.id,
      { pattern: timer.cron, tz: timer.timezone },
      { name: 'scheduled-run', data: firing },
    );
  }

  async remove(scheduleId: string): Promise<void> {
    await this.#queue.removeJobScheduler(scheduleId);
  }

  /** Every timer Redis holds: its schedule's id and when it fires next (epoch ms). */
  async timers(): Promise<Array<{ id: string; next: number | undefined }>> {
    const schedulers = await this.#queue.getJobSchedulers();
    return schedulers.flatMap((s) => (s.key ? [{ id: s.key, next: s.next ?? undefined }] : []));
  }

  async close(): Promise<void> {
    await this.#queue.close();
    this.#release();
  }
}

export type ScheduleProcessor = (firing: ScheduleFiring) => Promise<void>;

/**
 * Takes schedule firings off the schedule queue, a few at once. A firing whose processor
 * throws is logged (the job fails; the next firing comes anyway).
 */
export class ScheduleWorker {
  readonly #worker: Worker;
  readonly #release: () => void;

  constructor(
    redis: Redis,
    names: RedisNames,
    processor: ScheduleProcessor,
    log: (line: string) => void,
  ) {
    const { connection, release } = bullConnection(redis);
    this.#release = release;
    this.#worker = new Worker(
      names.scheduleQueue,
      async (job) => {
        const parsed = ScheduleFiring.safeParse(job.data);
        if (!parsed.success) throw new Error(`bad schedule firing: ${parsed.error.message}`);
        await processor(parsed.data);
      },
      { connection, prefix: names.bullPrefix, concurrency: 4 },
    );
    this.#worker.on('failed', (job, error) => log(`schedule job ${job?.id}: ${error.message}`));
    logErrors(this.#worker, `schedule worker ${names.scheduleQueue}`, log);
  }

  async close(): Promise<void> {
    await this.#worker.close();
    this.#release();
  }
}
