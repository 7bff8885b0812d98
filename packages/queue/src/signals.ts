import { type ControlSignal, parseControlSignal } from '@loadline/api';
import { duplicateRedis, type Redis } from './connection.js';
import { logErrors } from './errors.js';
import type { RedisNames } from './names.js';
import { type ControlSigner, type ControlVerifier, seal, unseal } from './signing.js';

/** How long the last signal of a run stays readable for late subscribers. */
const LAST_SIGNAL_TTL_S = 3600;

/**
 * Control → agents, signed by control. Published on the run's channel and also kept as the
 * run's last signal, so an agent that subscribes after a `start` or `abort` still learns it.
 */
export async function publishSignal(
  redis: Redis,
  names: RedisNames,
  signal: ControlSignal,
  signer: ControlSigner,
): Promise<void> {
  const text = seal(JSON.stringify(signal), signer);
  // Start and abort are "the" state of a run (a late subscriber must learn it); keepalives
  // are too frequent, and a rate change is repeated by every keepalive anyway.
  if (signal.type === 'start' || signal.type === 'abort') {
    await redis.set(names.lastSignal(signal.runId), text, 'EX', LAST_SIGNAL_TTL_S);
  }
  await redis.publish(names.signals(signal.runId), text);
}

/**
 * Agent side: follows one run's signals on its own subscriber connection. Malformed or
 * unsigned messages are counted and ignored, never trusted.
 */
export class SignalSubscription {
  malformed = 0;
  readonly #subscriber: Redis;
  readonly #channel: string;

  private constructor(subscriber: Redis, channel: string) {
    this.#subscriber = subscriber;
    this.#channel = channel;
  }

  static async open(
    redis: Redis,
    names: RedisNames,
    runId: string,
    /**
     * `replayed`: read from the run's last-signal key at subscription, i.e. published before
     * this subscriber listened (a `start` then was meant for shards claimed before).
     */
    onSignal: (signal: ControlSignal, replayed: boolean) => void,
    /** hears the subscriber connection's errors (a duplicate has no listener of its own) */
    log: (line: string) => void,
    verifier: ControlVerifier,
  ): Promise<SignalSubscription> {
    const read = (raw: string) => {
      const payload = unseal(raw, verifier);
      return payload === undefined ? undefined : parseControlSignal(payload);
    };
    const subscriber = duplicateRedis(redis);
    logErrors(subscriber, `signals of ${runId}`, log);
    const subscription = new SignalSubscription(subscriber, names.signals(runId));
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== subscription.#channel) return;
      const signal = read(message);
      if (signal && signal.runId === runId) onSignal(signal, false);
      else subscription.malformed++;
    });
    await subscriber.subscribe(subscription.#channel);
    // Anything published before we subscribed is in the last-signal key.
    const last = await redis.get(names.lastSignal(runId));
    const signal = last === null ? undefined : read(last);
    if (signal && signal.runId === runId) onSignal(signal, true);
    return subscription;
  }

  async close(): Promise<void> {
    try {
      await this.#subscriber.unsubscribe(this.#channel);
    } finally {
      this.#subscriber.disconnect();
    }
  }
}
