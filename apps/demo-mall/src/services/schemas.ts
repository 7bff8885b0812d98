/** Request and response shapes shared by more than one service. */
import { z } from 'zod';

export const UserId = z
  .union([z.string(), z.number()])
  .transform(String)
  .pipe(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits, "_", ".", ":" or "-"'));

export const CartItem = z.object({
  productId: z.number().int().positive(),
  qty: z.number().int().positive(),
  priceCents: z.number().int().nonnegative(),
});
export type CartItem = z.infer<typeof CartItem>;

export const Cart = z.object({
  userId: z.string(),
  items: z.array(CartItem),
  totalCents: z.number().int().nonnegative(),
});
export type Cart = z.infer<typeof Cart>;

export const Product = z.object({ id: z.number(), priceCents: z.number().int() });

export const ReservationItem = z.object({
  productId: z.number().int().positive(),
  qty: z.number().int().positive(),
});
export type ReservationItem = z.infer<typeof ReservationItem>;
