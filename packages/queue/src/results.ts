import { type AgentMessage, parseAgentMessage } from '@loadline/api';
import type { Redis } from 'ioredis';
import type { RedisNames } from './names.js';
import type { AgentSigner, AgentVerifier } from './signing.js';

/** Cap on the results stream: ~10 min of 300 agents sending one message a second. */
const MAX_STREAM_LENGTH = 200_000;

/**
 * Agents → control. A Redis stream: durable, ordered, and the buffer when storage is slow.
 * Each entry names its agent (`a`) and carries the agent's signature of the message (`s`).
 */
export async function sendAgentMessage(
  redis: Redis,
  names: RedisNames,
  message: AgentMessage,
  signer: AgentSigner,
): Promise<void> {
  const text = JSON.stringify(message);
  await redis.xadd(
    names.results,
    'MAXLEN',
    '~',
    String(MAX_STREAM_LENGTH),
    '*',
    'm',
    text,
    'a',
    signer.agentId,
    's',
    signer.sign(text),
  );
}

export interface ReceivedMessage {
  id: string;
  message: AgentMessage;
}

/**
 * Control side: a consumer in the `control` group. Messages stay pending until acked, so
 * a control that dies before storing them gets them again (another replica, or itself on
 * restart) — results are never lost between agent and storage.
 */
export class ResultsReader {
  malformed = 0;
  /** entries dropped because no enrolled agent signed them (or the signer is not who it says) */
  rejected = 0;
  /** the agent id the last rejected entry claimed, for the log */
  lastRejected: string | undefined;
  readonly #redis: Redis;
  readonly #names: RedisNames;
  readonly #consumer: string;
  readonly #verifier: AgentVerifier;
  readonly #group = 'control';

  constructor(redis: Redis, names: RedisNames, consumer: string, verifier: AgentVerifier) {
    this.#redis = redis;
    this.#names = names;
    this.#consumer = consumer;
    this.#verifier = verifier;
  }

  async ensureGroup(): Promise<void> {
    try {
      await this.#redis.xgroup('CREATE', this.#names.results, this.#group, '0', 'MKSTREAM');
    } catch (error) {
      if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
    }
  }

  /**
   * Reads up to `count` messages, blocking up to `blockMs`. First redelivers this
   * consumer's own unacknowledged messages (after a crash), then new ones.
   */
  async read(count = 500, blockMs = 1000): Promise<ReceivedMessage[]> {
    const pending = await this.#readFrom('0', count, undefined);
    if (pending.length > 0) return pending;
    return this.#readFrom('>', count, blockMs);
  }

  /**
   * Takes over messages another consumer read but never acked for `minIdleMs` (a control
   * that died mid-batch): they are stored by this one instead of being lost.
   */
  async reclaim(minIdleMs: number, count = 500): Promise<ReceivedMessage[]> {
    const reply = (await (this.#redis.xautoclaim as (...a: unknown[]) => Promise<unknown>)(
      this.#names.results,
      this.#group,
      this.#consumer,
      minIdleMs,
      '0-0',
      'COUNT',
      count,
    )) as [string, Array<[string, string[]] | null>, string[]?];
    return this.#receive((reply[1] ?? []).filter((entry) => entry !== null));
  }

  async ack(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.#redis.xack(this.#names.results, this.#group, ...ids);
  }

  async #readFrom(
    start: string,
    count: number,
    blockMs: number | undefined,
  ): Promise<ReceivedMessage[]> {
    const args: Array<string | number> = ['GROUP', this.#group, this.#consumer, 'COUNT', count];
    if (blockMs !== undefined) args.push('BLOCK', blockMs);
    args.push('STREAMS', this.#names.results, start);
    // ioredis types xreadgroup loosely; the reply is [[stream, [[id, [field, value, ...]], ...]]].
    const reply = (await (this.#redis.xreadgroup as (...a: unknown[]) => Promise<unknown>)(
      ...args,
    )) as Array<[string, Array<[string, string[]]>]> | null;
    return this.#receive((reply ?? []).flatMap(([, entries]) => entries));
  }

  /**
   * Parses stream entries. One that is malformed, unsigned, signed by no enrolled agent, or
   * speaking for another agent than its signer, is counted and acked (so it is not
   * redelivered forever) and never trusted.
   */
  async #receive(entries: Array<[string, string[]]>): Promise<ReceivedMessage[]> {
    const out: ReceivedMessage[] = [];
    const droppedIds: string[] = [];
    for (const [id, fields] of entries) {
      const field = (name: string) => {
        const at = fields.indexOf(name);
        return at >= 0 && at % 2 === 0 ? fields[at + 1] : undefined;
      };
      const [raw, agentId, signature] = [field('m'), field('a'), field('s')];
      const message = raw === undefined ? undefined : parseAgentMessage(raw);
      if (!message) {
        this.malformed++;
        droppedIds.push(id);
      } else if (
        agentId === undefined ||
        signature === undefined ||
        message.agentId !== agentId ||
        !(await this.#verifier.verify(agentId, raw as string, signature))
      ) {
        this.rejected++;
        this.lastRejected = agentId ?? message.agentId;
        droppedIds.push(id);
      } else out.push({ id, message });
    }
    await this.ack(droppedIds);
    return out;
  }
}
