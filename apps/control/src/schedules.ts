import type { MetadataStore, Schedule } from '@loadline/metadata';
import type { Redis, RedisNames } from '@loadline/queue';
import { type ConnectionOptions, Queue, Worker } from 'bullmq';

/**
 * Cron schedules as BullMQ job schedulers: Postgres holds the schedules, Redis holds
 * their timers. On start the timers are rebuilt from Postgres, so the two never drift;
 * each firing becomes one run (the basis of nightly and pre-promotion rehearsals).
 */
export class ScheduleDriver {
  readonly #queue: Queue;
  readonly #worker: Worker;
  readonly #metadata: MetadataStore;

  constructor(
    redis: Redis,
    names: RedisNames,
    metadata: MetadataStore,
    fire: (schedule: Schedule) => Promise<void>,
    log: (line: string) => void,
  ) {
    const connection = { ...redis.options, maxRetriesPerRequest: null } as ConnectionOptions;
    const name = `${names.namespace}-schedules`;
    this.#metadata = metadata;
    this.#queue = new Queue(name, { connection });
    this.#worker = new Worker(
      name,
      async (job) => {
        const schedule = await metadata
          .getSchedule(String(job.data.scheduleId))
          .catch(() => undefined);
        if (!schedule || schedule.paused) return;
        log(`schedule ${schedule.name}: starting a run of ${schedule.scenario}`);
        await fire(schedule);
      },
      { connection, concurrency: 4 },
    );
    this.#worker.on('failed', (job, error) => log(`schedule job ${job?.id}: ${error.message}`));
    this.#worker.on('error', () => {});
  }

  async upsert(schedule: Schedule): Promise<void> {
    if (schedule.paused) {
      await this.remove(schedule.id);
      return;
    }
    await this.#queue.upsertJobScheduler(
      schedule.id,
      { pattern: schedule.cron, tz: schedule.timezone },
      { name: 'scheduled-run', data: { scheduleId: schedule.id } },
    );
  }

  async remove(scheduleId: string): Promise<void> {
    await this.#queue.removeJobScheduler(scheduleId);
  }

  /** Rebuilds Redis timers from Postgres: adds missing ones, drops strays. */
  async sync(): Promise<void> {
    const schedules = await this.#metadata.listSchedules();
    const wanted = new Set(schedules.filter((s) => !s.paused).map((s) => s.id));
    for (const scheduler of await this.#queue.getJobSchedulers()) {
      if (scheduler.key && !wanted.has(scheduler.key)) await this.remove(scheduler.key);
    }
    for (const schedule of schedules) await this.upsert(schedule);
  }

  /** When each active schedule fires next (epoch ms), for listings. */
  async nextRuns(): Promise<Record<string, number | undefined>> {
    const out: Record<string, number | undefined> = {};
    for (const scheduler of await this.#queue.getJobSchedulers()) {
      if (scheduler.key) out[scheduler.key] = scheduler.next ?? undefined;
    }
    return out;
  }

  async close(): Promise<void> {
    await this.#worker.close();
    await this.#queue.close();
  }
}
