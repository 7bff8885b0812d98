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
  readonly #redis: Redis;
  readonly #names: RedisNames;
  /** takes firings: only on the active control (a run launches where it is coordinated) */
  #worker: ScheduleWorker | undefined;
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
    this.#redis = redis;
    this.#names = names;
    this.#queue = new ScheduleQueue(redis, names, log);
  }

  /** Starts taking firings (this control became the active one). */
  startFiring(): void {
    this.#worker ??= new ScheduleWorker(
      this.#redis,
      this.#names,
      (firing) => this.#fired(firing),
      this.#log,
    );
  }

  /** Stops taking firings (another control is active, or this one stops). */
  async stopFiring(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.close();
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
    if (!(await this.#armed(schedule))) return;
    this.#log(`schedule ${schedule.name}: starting a run of ${schedule.scenario}`);
    await this.#fire(schedule);
  }

  /** Whether a schedule may fire: not paused, and approved if its environment asked for it. */
  async #armed(schedule: Schedule): Promise<boolean> {
    if (schedule.paused) return false;
    const approval = await this.#metadata.access.getApproval('schedule', schedule.id);
    return approval === undefined || approval.state === 'approved';
  }

  /** Arms the schedule's timer, or removes it when the schedule may not fire. */
  async upsert(schedule: Schedule): Promise<void> {
    if (!(await this.#armed(schedule))) {
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
    const armed = await Promise.all(schedules.map((s) => this.#armed(s)));
    const wanted = new Set(schedules.filter((_, i) => armed[i]).map((s) => s.id));
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
    await this.stopFiring();
    await this.#queue.close();
  }
}
