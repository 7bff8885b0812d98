import type { MetadataStore, Schedule } from '@loadline/metadata';
import {
  type Redis,
  type RedisNames,
  type ScheduleFiring,
  ScheduleQueue,
  ScheduleWorker,
} from '@loadline/queue';

/**
 * Cron schedules as BullMQ job schedulers: Postgres holds the schedules, Redis holds
 * their timers. On start the timers are rebuilt from Postgres, so the two never drift;
 * each firing becomes one run (the basis of nightly and pre-promotion rehearsals).
 */
export class ScheduleDriver {
  readonly #queue: ScheduleQueue;
  readonly #worker: ScheduleWorker;
  readonly #metadata: MetadataStore;
  readonly #fire: (schedule: Schedule) => Promise<void>;
  readonly #log: (line: string) => void;

  constructor(
    redis: Redis,
    names: RedisNames,
    metadata: MetadataStore,
    fire: (schedule: Schedule) => Promise<void>,
    log: (line: string) => void,
  ) {
    this.#metadata = metadata;
    this.#fire = fire;
    this.#log = log;
    this.#queue = new ScheduleQueue(redis, names, log);
    this.#worker = new ScheduleWorker(redis, names, (firing) => this.#fired(firing), log);
  }

  async #fired({ scheduleId }: ScheduleFiring): Promise<void> {
    let schedule: Schedule;
    try {
      schedule = await this.#metadata.getSchedule(scheduleId);
    } catch (error) {
      // Skipped, not retried: the next firing comes on time anyway.
      this.#log(
        `schedule ${scheduleId}: cannot look it up, this firing is skipped: ${(error as Error).message}`,
      );
      return;
    }
    if (schedule.paused) return;
    this.#log(`schedule ${schedule.name}: starting a run of ${schedule.scenario}`);
    await this.#fire(schedule);
  }

  async upsert(schedule: Schedule): Promise<void> {
    if (schedule.paused) {
      await this.remove(schedule.id);
      return;
    }
    await this.#queue.upsert({ id: schedule.id, cron: schedule.cron, timezone: schedule.timezone });
  }

  async remove(scheduleId: string): Promise<void> {
    await this.#queue.remove(scheduleId);
  }

  /** Rebuilds Redis timers from Postgres: adds missing ones, drops strays. */
  async sync(): Promise<void> {
    const schedules = await this.#metadata.listSchedules();
    const wanted = new Set(schedules.filter((s) => !s.paused).map((s) => s.id));
    for (const timer of await this.#queue.timers()) {
      if (!wanted.has(timer.id)) await this.remove(timer.id);
    }
    for (const schedule of schedules) await this.upsert(schedule);
  }

  /** When each active schedule fires next (epoch ms), for listings. */
  async nextRuns(): Promise<Record<string, number | undefined>> {
    const out: Record<string, number | undefined> = {};
    for (const timer of await this.#queue.timers()) out[timer.id] = timer.next;
    return out;
  }

  async close(): Promise<void> {
    await this.#worker.close();
    await this.#queue.close();
  }
}
