import { type AgentMessage, signedAgentMessage } from '@loadline/api';
import type { Redis } from './connection.js';
import { type RedisNames, resultStreamOf } from './names.js';
import type { AgentSigner, AgentVerifier } from './signing.js';

/**
 * Cap on each results stream: ~10 min of 300 agents sending one message a second. Redis trims
 * past it whether read or not, so control stops runs long before (LOADLINE_RESULTS_BACKLOG).
 */
export const MAX_STREAM_LENGTH = 200_000;

/** What control has not stored yet: entries read but not acked, and entries not yet read. */
export interface ResultsBacklog {
  messages: number;
  /** epoch ms of the oldest entry not stored yet (undefined when there is none) */
  oldestAt: number | undefined;
}

/** What waits over several streams: their sum, the oldest of them. */
export async function backlogOf(readers: readonly ResultsReader[]): Promise<ResultsBacklog> {
  const each = await Promise.all(readers.map((reader) => reader.backlog()));
  const times = each.flatMap((b) => (b.oldestAt === undefined ? [] : [b.oldestAt]));
  return {
    messages: each.reduce((sum, b) => sum + b.messages, 0),
    oldestAt: times.length > 0 ? Math.min(...times) : undefined,
  };
}

/** The epoch ms a stream entry id (`1700000000000-0`) was added at. */
function entryTime(id: string): number {
  return Number(id.split('-')[0]);
}

/**
 * Agents → control. A Redis stream: durable, ordered, and the buffer when storage is slow.
 * Each entry names its agent (`a`) and carries the agent's signature of the message (`s`).
 * Of `streams` (the shard job's resultStreams), the agent's own one: see resultStreamOf.
 */
export async function sendAgentMessage(
  redis: Redis,
  names: RedisNames,
  message: AgentMessage,
  signer: AgentSigner,
  streams = 1,
): Promise<void> {
  const text = JSON.stringify(message);
  await redis.xadd(
    names.resultStream(resultStreamOf(signer.agentId, streams)),
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

/** A results-stream entry as read: its text, signed by the agent it names (checked). */
export interface SignedEntry {
  id: string;
  agentId: string;
  text: string;
}

export interface ReceivedMessage {
  id: string;
  message: AgentMessage;
}

/**
 * Control side: a consumer in the `control` group of one results stream. Messages stay
 * pending until acked, so a control that dies before storing them gets them again (another
 * replica, or itself on restart) — results are never lost between agent and storage. Every
 * command names this one stream: in a Cluster, streams live on different nodes.
 */
export class ResultsReader {
  malformed = 0;
  /** entries dropped because no enrolled agent signed them (or the signer is not who it says) */
  rejected = 0;
  /** the agent id the last rejected entry claimed, for the log */
  lastRejected: string | undefined;
  readonly #redis: Redis;
  readonly #stream: string;
  readonly #consumer: string;
  readonly #verifier: AgentVerifier;
  readonly #group = 'control';

  constructor(
    redis: Redis,
    names: RedisNames,
    consumer: string,
    verifier: AgentVerifier,
    /** which stream (of names.resultStreamNames) */
    stream = names.results,
  ) {
    this.#redis = redis;
    this.#stream = stream;
    this.#consumer = consumer;
    this.#verifier = verifier;
  }

  async ensureGroup(): Promise<void> {
    try {
      await this.#redis.xgroup('CREATE', this.#stream, this.#group, '0', 'MKSTREAM');
    } catch (error) {
      if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
    }
  }

  /**
   * Reads up to `count` messages, blocking up to `blockMs`. First redelivers this
   * consumer's own unacknowledged messages (after a crash), then new ones.
   */
  async read(count = 500, blockMs = 1000): Promise<ReceivedMessage[]> {
    return this.parse(await this.readSigned(count, blockMs));
  }

  /**
   * Takes over messages another consumer read but never acked for `minIdleMs` (a control
   * that died mid-batch): they are stored by this one instead of being lost.
   */
  async reclaim(minIdleMs: number, count = 500): Promise<ReceivedMessage[]> {
    return this.parse(await this.reclaimSigned(minIdleMs, count));
  }

  /** As `read`, the entries' texts not parsed yet: each signed by the agent it names. */
  async readSigned(count = 500, blockMs = 1000): Promise<SignedEntry[]> {
    const pending = await this.#readFrom('0', count, undefined);
    if (pending.length > 0) return pending;
    return this.#readFrom('>', count, blockMs);
  }

  /** As `reclaim`, the entries' texts not parsed yet. */
  async reclaimSigned(minIdleMs: number, count = 500): Promise<SignedEntry[]> {
    const reply = (await (this.#redis.xautoclaim as (...a: unknown[]) => Promise<unknown>)(
      this.#stream,
      this.#group,
      this.#consumer,
      minIdleMs,
      '0-0',
      'COUNT',
      count,
    )) as [string, Array<[string, string[]] | null>, string[]?];
    return this.#verify((reply[1] ?? []).filter((entry) => entry !== null));
  }

  /**
   * Signed entries as messages. One that does not parse, or that speaks for another agent
   * than its signer, is dropped (see `drop`).
   */
  async parse(entries: readonly SignedEntry[]): Promise<ReceivedMessage[]> {
    const out: ReceivedMessage[] = [];
    const malformed: SignedEntry[] = [];
    const foreign: SignedEntry[] = [];
    for (const entry of entries) {
      const read = signedAgentMessage(entry.agentId, entry.text);
      if ('message' in read) out.push({ id: entry.id, message: read.message });
      else (read.problem === 'malformed' ? malformed : foreign).push(entry);
    }
    await this.drop(malformed, 'malformed');
    await this.drop(foreign, 'rejected');
    return out;
  }

  /**
   * Entries never to be trusted, counted and acked (so they are not redelivered forever):
   * `malformed`, no message; `rejected`, a message its signer may not send (another
   * agent's).
   */
  async drop(
    entries: ReadonlyArray<{ id: string; agentId: string }>,
    why: 'malformed' | 'rejected',
  ): Promise<void> {
    if (entries.length === 0) return;
    if (why === 'malformed') this.malformed += entries.length;
    else {
      this.rejected += entries.length;
      this.lastRejected = entries.at(-1)?.agentId;
    }
    await this.ack(entries.map((entry) => entry.id));
  }

  /**
   * How far storing is behind: the group's pending entries (read, not acked) plus its lag
   * (not read yet), and the time of the oldest of them. Read from Redis, so every control
   * sees the same figure.
   */
  async backlog(): Promise<ResultsBacklog> {
    const groups = (await this.#redis.xinfo('GROUPS', this.#stream)) as unknown[][];
    const fields = groups
      .map((g) => Object.fromEntries(pairs(g)))
      .find((g) => g.name === this.#group);
    if (!fields) return { messages: 0, oldestAt: undefined };
    const pending = Number(fields.pending ?? 0);
    const lastDelivered = String(fields['last-delivered-id'] ?? '0-0');
    const [next] = await this.#redis.xrange(this.#stream, `(${lastDelivered}`, '+', 'COUNT', 1);
    // `lag` is null when Redis cannot tell (entries deleted mid-stream): then the stream's
    // whole length stands in, an upper bound (a backlog is never under-reported).
    const lag =
      fields.lag === null || fields.lag === undefined
        ? next
          ? await this.#redis.xlen(this.#stream)
          : 0
        : Number(fields.lag);
    let oldestAt: number | undefined;
    if (pending > 0) {
      const summary = (await this.#redis.xpending(this.#stream, this.#group)) as [
        number,
        string | null,
        string | null,
        unknown,
      ];
      if (summary[1]) oldestAt = entryTime(summary[1]);
    }
    if (oldestAt === undefined && lag > 0 && next) oldestAt = entryTime(next[0]);
    return { messages: pending + lag, oldestAt };
  }

  async ack(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.#redis.xack(this.#stream, this.#group, ...ids);
  }

  async #readFrom(
    start: string,
    count: number,
    blockMs: number | undefined,
  ): Promise<SignedEntry[]> {
    const args: Array<string | number> = ['GROUP', this.#group, this.#consumer, 'COUNT', count];
    if (blockMs !== undefined) args.push('BLOCK', blockMs);
    args.push('STREAMS', this.#stream, start);
    // ioredis types xreadgroup loosely; the reply is [[stream, [[id, [field, value, ...]], ...]]].
    const reply = (await (this.#redis.xreadgroup as (...a: unknown[]) => Promise<unknown>)(
      ...args,
    )) as Array<[string, Array<[string, string[]]>]> | null;
    return this.#verify((reply ?? []).flatMap(([, entries]) => entries));
  }

  /**
   * The entries an enrolled agent signed. One with no message is malformed; one unsigned
   * or signed by no enrolled agent is rejected: counted and acked, never trusted. What a
   * message says is not read here (`parse`, or ingest's threads): only its signature.
   */
  async #verify(entries: Array<[string, string[]]>): Promise<SignedEntry[]> {
    const out: SignedEntry[] = [];
    const malformed: Array<{ id: string; agentId: string }> = [];
    const rejected: Array<{ id: string; agentId: string }> = [];
    for (const [id, fields] of entries) {
      const field = (name: string) => {
        const at = fields.indexOf(name);
        return at >= 0 && at % 2 === 0 ? fields[at + 1] : undefined;
      };
      const [text, agentId, signature] = [field('m'), field('a'), field('s')];
      if (text === undefined) malformed.push({ id, agentId: agentId ?? '' });
      else if (
        agentId === undefined ||
        signature === undefined ||
        !(await this.#verifier.verify(agentId, text, signature))
      ) {
        rejected.push({ id, agentId: agentId ?? signedAs(text) });
      } else out.push({ id, agentId, text });
    }
    await this.drop(malformed, 'malformed');
    await this.drop(rejected, 'rejected');
    return out;
  }
}

/** The agent an unsigned message claims to be from, for the log ('' when it does not say). */
function signedAs(text: string): string {
  const claimed = /"agentId":"([^"]{1,200})"/.exec(text)?.[1];
  return claimed ?? '';
}

/** [k1, v1, k2, v2, ...] as [[k1, v1], ...] (Redis's flat field lists). */
function pairs(flat: unknown[]): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([String(flat[i]), flat[i + 1]]);
  return out;
}
