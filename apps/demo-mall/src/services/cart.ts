/**
 * cart: one Redis hash per user (`<prefix>cart:<userId>`, fields `qty:<id>` and
 * `price:<id>`). Adding an item asks catalog for the product and its price. The client is
 * the SDK's `shadowRedis`: shadow carts live at `shadow:<prefix>cart:<userId>`.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { HttpError, type Route } from '../http.js';
import type { Upstream } from '../upstream.js';
import { type Cart, type CartItem, Product, UserId } from './schemas.js';

const CART_TTL_SECONDS = 24 * 3600;

const AddItem = z.object({
  userId: UserId,
  productId: z.coerce.number().int().positive(),
  qty: z.coerce.number().int().min(1).max(100).default(1),
});

export interface CartDeps {
  redis: Redis | undefined;
  prefix: string;
  catalog: Upstream;
}

function toCart(userId: string, fields: Record<string, string>): Cart {
  const items: CartItem[] = [];
  for (const [field, value] of Object.entries(fields)) {
    if (!field.startsWith('qty:')) continue;
    const productId = Number(field.slice(4));
    items.push({ productId, qty: Number(value), priceCents: Number(fields[`price:${productId}`]) });
  }
  items.sort((a, b) => a.productId - b.productId);
  const totalCents = items.reduce((sum, item) => sum + item.qty * item.priceCents, 0);
  return { userId, items, totalCents };
}

export function cartRoutes(deps: CartDeps): Route[] {
  const key = (userId: string) => `${deps.prefix}cart:${userId}`;
  const store = async <T>(work: (redis: Redis) => Promise<T>): Promise<T> => {
    if (!deps.redis) throw new HttpError(503, 'the cart needs Redis; this mall runs without it');
    try {
      return await work(deps.redis);
    } catch (error) {
      throw new HttpError(503, 'the cart store is unavailable', (error as Error).message);
    }
  };
  const read = async (userId: string) =>
    toCart(userId, await store((redis) => redis.hgetall(key(userId))));
  const userOf = (raw: string | undefined) => {
    const parsed = UserId.safeParse(raw);
    if (!parsed.success) throw new HttpError(400, `bad user id "${raw}"`);
    return parsed.data;
  };

  return [
    {
      method: 'POST',
      pattern: '/api/cart',
      handler: async (ctx) => {
        const add = await ctx.json(AddItem);
        const found = await deps.catalog.call('GET', `/api/products/${add.productId}`);
        if (found.status === 404) throw new HttpError(404, `no product ${add.productId}`);
        const product = Product.parse(found.body);
        await store((redis) =>
          redis
            .multi()
            .hincrby(key(add.userId), `qty:${product.id}`, add.qty)
            .hset(key(add.userId), `price:${product.id}`, product.priceCents)
            .expire(key(add.userId), CART_TTL_SECONDS)
            .exec(),
        );
        return { status: 200, body: await read(add.userId) };
      },
    },
    {
      method: 'GET',
      pattern: '/api/cart/:userId',
      handler: async ({ params }) => ({ status: 200, body: await read(userOf(params.userId)) }),
    },
    {
      method: 'DELETE',
      pattern: '/api/cart/:userId',
      handler: async ({ params }) => {
        const userId = userOf(params.userId);
        await store((redis) => redis.del(key(userId)));
        return { status: 204 };
      },
    },
  ];
}
