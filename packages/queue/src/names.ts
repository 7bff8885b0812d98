import { createHash } from 'node:crypto';
import { DEFAULT_NAMESPACE } from '@loadline/config';

export interface NamesOptions {
  /**
   * Redis Cluster: keys used together (a BullMQ queue's, the agents' set and heartbeats)
   * carry the hash tag `{namespace}`, so they share a slot, as MULTI, MGET and BullMQ's Lua
   * scripts require there.
   */
  cluster?: boolean;
  /** how many results streams control reads (LOADLINE_RESULT_STREAMS; default 1) */
  resultStreams?: number;
}

/**
 * Every Redis name Loadline uses, under one namespace so that several installations (or
 * test runs) can share a Redis without seeing each other. One server (or Sentinels' master)
 * keeps the names it always had; a Cluster gets the hash-tagged ones.
 */
export class RedisNames {
  readonly cluster: boolean;
  readonly resultStreams: number;

  constructor(
    readonly namespace = DEFAULT_NAMESPACE,
    options: NamesOptions = {},
  ) {
    this.cluster = options.cluster ?? false;
    this.resultStreams = options.resultStreams ?? 1;
    if (!Number.isInteger(this.resultStreams) || this.resultStreams < 1) {
      throw new RangeError(
        `resultStreams must be a whole number from 1, got ${this.resultStreams}`,
      );
    }
  }

  /** What BullMQ puts before a queue's keys: `{namespace}` is the queue's slot in a Cluster. */
  get bullPrefix(): string {
    return this.cluster ? `{${this.namespace}}` : 'bull';
  }
  get shardQueue(): string {
    return `${this.namespace}-shards`;
  }
  get scheduleQueue(): string {
    return `${this.namespace}-schedules`;
  }
  /** The first results stream (the only one by default). */
  get results(): string {
    return this.resultStream(0);
  }
  /**
   * Results stream `index`: each is its own key, untagged, so a Cluster spreads them over
   * its slots (every command on a stream names that one stream only).
   */
  resultStream(index: number): string {
    return index === 0 ? `${this.namespace}:results` : `${this.namespace}:results:${index}`;
  }
  /** Every results stream control reads. */
  get resultStreamNames(): string[] {
    return Array.from({ length: this.resultStreams }, (_, i) => this.resultStream(i));
  }
  get agents(): string {
    return `${this.#tagged}:agents`;
  }
  /** the active control's clock against Redis's (ControlClock) */
  get controlClock(): string {
    return `${this.namespace}:control-clock`;
  }
  agent(agentId: string): string {
    return `${this.#tagged}:agent:${agentId}`;
  }
  signals(runId: string): string {
    return `${this.namespace}:signals:${runId}`;
  }
  lastSignal(runId: string): string {
    return `${this.namespace}:signal:${runId}`;
  }
  /** a k6 run's script, stored once for all its shards */
  runScript(runId: string): string {
    return `${this.namespace}:run-script:${runId}`;
  }

  get #tagged(): string {
    return this.cluster ? `{${this.namespace}}` : this.namespace;
  }
}

/**
 * The results stream (of `streams`) an agent pushes to: a stable hash of its id, so all of
 * one agent's messages stay in order in one stream (a shard's end after its intervals).
 */
export function resultStreamOf(agentId: string, streams: number): number {
  if (streams <= 1) return 0;
  return createHash('sha256').update(agentId).digest().readUInt32BE(0) % streams;
}
