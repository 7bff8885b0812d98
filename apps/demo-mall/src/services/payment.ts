/**
 * payment: charges an amount. Deterministic: with failure rate r, charge n of an instance
 * is declined exactly when floor(n·r) steps up, so r = 0.25 declines every fourth charge.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Route } from '../http.js';

const Charge = z.object({
  ref: z.string().min(1),
  userId: z.string().min(1),
  amountCents: z.number().int().nonnegative(),
});

export function paymentRoutes(failureRate: number): Route[] {
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
        return { status: 201, body: { paymentId, amountCents: charge.amountCents } };
      },
    },
  ];
}
