/**
 * payment: charges an amount. Deterministic: with failure rate r, charge n of an instance
 * is declined exactly when floor(n·r) steps up, so r = 0.25 declines every fourth charge.
 * Each accepted charge goes into a Redis ledger (`<prefix>payment:<paymentId>` and the
 * running total `<prefix>payments:cents`) through a plain ioredis client: this service
 * runs under the zero-code shadow preload, which moves shadow charges under `shadow:`.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Route } from '../http.js';

const Charge = z.object({
  ref: z.string().min(1),
  userId: z.string().min(1),
  amountCents: z.number().int().nonnegative(),
});

const LEDGER_TTL_SECONDS = 24 * 3600;

export interface Ledger {
  redis: Redis;
  prefix: string;
}

export function paymentRoutes(failureRate: number, ledger?: Ledger): Route[] {
  let charges = 0;
  return [
    {
      method: 'POST',
      pattern: '/internal/charges',
      handler: async (ctx) => {
        const charge = await ctx.json(Charge);
        charges++;
        if (Math.floor(charges * failureRate) > Math.floor((charges - 1) * failureRate)) {
          return {
            status: 402,
            body: { title: 'payment declined', status: 402, detail: { ref: charge.ref } },
          };
        }
        const paymentId = `pay_${createHash('sha256').update(charge.ref).digest('hex').slice(0, 16)}`;
        if (ledger) {
          const { redis, prefix } = ledger;
          await redis
            .multi()
            .set(`${prefix}payment:${paymentId}`, JSON.stringify(charge), 'EX', LEDGER_TTL_SECONDS)
            .incrby(`${prefix}payments:cents`, charge.amountCents)
            .exec();
        }
        return { status: 201, body: { paymentId, amountCents: charge.amountCents } };
      },
    },
  ];
}
