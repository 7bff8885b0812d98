import { ShardJob } from '@loadline/api';
import { type Job, Queue, Worker } from 'bullmq';
import { bullConnection, duplicateRedis, type Redis } from './connection.js';
import { logErrors } from './errors.js';
import type { RedisNames } from './names.js';
import { type ControlSigner, type ControlVerifier, seal, unseal } from './signing.js';

/**
 * Control side: enqueues one BullMQ job per shard of a run, each signed by control (agents
 * run nothing else, whoever wrote it into Redis).
 */
export class ShardQueue {
  readonly #queue: Queue;
  readonly #connection: Redis;
  readonly #signer: ControlSigner;
  readonly #resultStreams: number;

  /** `log` hears the queue's errors (Redis unreachable, say), with the queue's name. */
  constructor(redis: Redis, names: RedisNames, log: (line: string) => void, signer: ControlSigner) {
    this.#signer = signer;
    this.#resultStreams = names.resultStreams;
    this.#connection = duplicateRedis(redis);
    this.#queue = new Queue(names.shardQueue, {
      connection: this.#connection,
      prefix: names.bullPrefix,
    });
    logErrors(this.#queue, `shard queue ${names.shardQueue}`, log);
  }

  async enqueue(jobs: ShardJob[]): Promise<void> {
    await this.#queue.addBulk(
      jobs.map((job) => ({
        name: 'shard',
        // The job tells its agent how many results streams control reads (one setting, on
        // control: an agent can never push to a stream nobody reads).
        data: seal(JSON.stringify({ ...job, resultStreams: this.#resultStreams }), this.#signer),
        // One job per shard, ever: a retried enqueue does not duplicate load.
        opts: {
          jobId: `${job.runId}.${job.shard}`,
          attempts: 1,
          removeOnComplete: 1000,
          removeOnFail: 1000,
        },
      })),
    );
  }

  /** Removes shards of a run nobody claimed (a run that gave up waiting for agents). */
  async removeUnclaimed(runId: string, shardCount: number): Promise<number> {
    let removed = 0;
    for (let shard = 0; shard < shardCount; shard++) {
      const job = await this.#queue.getJob(`${runId}.${shard}`);
      if (job && (await job.getState()) === 'waiting') {
        await job.remove();
        removed++;
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    await this.#queue.close();
    // BullMQ leaves connections it was handed open.
    this.#connection.disconnect();
  }
}

export type ShardProcessor = (job: ShardJob, signal: { jobId: string }) => Promise<void>;

/**
 * Agent side: claims shard jobs one at a time (an agent runs one shard at once). A job that
 * control did not sign, or whose payload does not parse, fails with the reason and never
 * runs: a job written straight into Redis sends no load.
 */
export class ShardWorker {
  readonly #worker: Worker;
  readonly #release: () => void;

  /** `log` hears the worker's errors (Redis unreachable, a lost lock), with the queue's name. */
  constructor(
    redis: Redis,
    names: RedisNames,
    processor: ShardProcessor,
    log: (line: string) => void,
    verifier: ControlVerifier,
  ) {
    const { connection, release } = bullConnection(redis);
    this.#release = release;
    this.#worker = new Worker(
      names.shardQueue,
      async (job: Job) => {
        const payload = unseal(job.data, verifier);
        if (payload === undefined) {
          log(`shard job ${job.id} refused: it does not carry control's signature`);
          throw new Error('refused: the shard job is not signed by control');
        }
        const parsed = ShardJob.safeParse(JSON.parse(payload));
        if (!parsed.success) throw new Error(`bad shard job: ${parsed.error.message}`);
        await processor(parsed.data, { jobId: String(job.id) });
      },
      // A shard runs for as long as the scenario does: renew the lock, never stall it.
      {
        // Options, not an instance: the worker then owns (and closes) its connections,
        // including the blocking one it makes to wait for jobs.
        connection,
        prefix: names.bullPrefix,
        concurrency: 1,
        lockDuration: 30_000,
        stalledInterval: 30_000,
        // A shard whose agent died (its lock lapsed) fails; it is never handed to another
        // agent: the run has gone on without it (control counts it lost), and running it
        // again would send its load twice.
        maxStalledCount: 0,
      },
    );
    logErrors(this.#worker, `shard worker ${names.shardQueue}`, log);
  }

  /**
   * Takes no job after the one under way (callable from inside it): an agent that runs one
   * shard and exits does not claim a second one as the first completes.
   */
  stopTaking(): void {
    // true: do not wait for the active job (the caller may be it).
    void this.#worker.pause(true);
  }

  async close(): Promise<void> {
    await this.#worker.close();
    this.#release();
  }
}
