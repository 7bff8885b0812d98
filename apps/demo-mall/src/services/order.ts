/**
 * order: places an order from a user's cart — reserve stock (inventory), charge (payment),
 * write the order (Postgres), empty the cart, publish `order-placed` (BullMQ) — and reads
 * orders back. A failed charge gives the reservation back and keeps the cart. The shadow
 * SDK carries the tag on every call and routes `db` and the publisher's queue.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Database, Queryable } from '../db.js';
import { HttpError, type Route } from '../http.js';
import type { OrderPublisher } from '../queue.js';
import type { Upstream, UpstreamReply } from '../upstream.js';
import { Cart, type CartItem, UserId } from './schemas.js';

const PlaceOrder = z.object({ userId: UserId });
const Charged = z.object({ paymentId: z.string() });

export interface OrderDeps {
  db: Database;
  cart: Upstream;
  inventory: Upstream;
  payment: Upstream;
  /** undefined when the mall runs without Redis: orders cannot be placed then */
  publisher: OrderPublisher | undefined;
  /**
   * The deliberately broken audit (`brokenShadowAudit`): a client that bypasses the shadow
   * SDK. Its write is a leak: refused by the pg guard (Postgres), or it lands in
   * production (PGlite), where `loadline verify` finds it.
   */
  rawAudit?: Queryable | undefined;
  log: (line: string) => void;
}

interface NewOrder {
  ref: string;
  userId: string;
  totalCents: number;
  paymentId: string;
  items: CartItem[];
}

function expect(reply: UpstreamReply, status: number, what: string): void {
  if (reply.status !== status) {
    throw new HttpError(502, `${what} answered ${reply.status}, expected ${status}`, reply.body);
  }
}

async function insertOrder(db: Database, order: NewOrder): Promise<number> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string | number }>(
      `insert into orders (ref, user_id, status, total_cents, payment_id)
       values ($1, $2, 'placed', $3, $4) returning id`,
      [order.ref, order.userId, order.totalCents, order.paymentId],
    );
    const id = Number(rows[0]?.id);
    for (const item of order.items) {
      await tx.query(
        'insert into order_items (order_id, product_id, qty, price_cents) values ($1, $2, $3, $4)',
        [id, item.productId, item.qty, item.priceCents],
      );
    }
    return id;
  });
}

async function readOrder(db: Database, id: number) {
  const { rows } = await db.query<Record<string, unknown>>(
    `select id, ref, user_id, status, total_cents, payment_id, created_at
     from orders where id = $1`,
    [id],
  );
  const row = rows[0];
  if (!row) return undefined;
  const items = await db.query<Record<string, unknown>>(
    `select product_id, qty, price_cents from order_items where order_id = $1
     order by product_id`,
    [id],
  );
  return {
    id: Number(row.id),
    ref: row.ref,
    userId: row.user_id,
    status: row.status,
    totalCents: Number(row.total_cents),
    paymentId: row.payment_id,
    createdAt: row.created_at,
    items: items.rows.map((item) => ({
      productId: Number(item.product_id),
      qty: Number(item.qty),
      priceCents: Number(item.price_cents),
    })),
  };
}

export function orderRoutes(deps: OrderDeps): Route[] {
  const audit = async (id: number, ref: string, userId: string) => {
    try {
      await deps.rawAudit?.query(
        'insert into order_audit (order_id, ref, user_id) values ($1, $2, $3)',
        [id, ref, userId],
      );
    } catch (error) {
      deps.log(`order ${id}: audit failed: ${(error as Error).message}`);
    }
  };
  const place = async (userId: string) => {
    const publisher = deps.publisher;
    if (!publisher) throw new HttpError(503, 'orders need Redis; this mall runs without it');
    const user = encodeURIComponent(userId);
    const cartReply = await deps.cart.call('GET', `/api/cart/${user}`);
    expect(cartReply, 200, 'cart');
    const cart = Cart.parse(cartReply.body);
    if (cart.items.length === 0) throw new HttpError(409, `the cart of user ${userId} is empty`);
    const ref = randomUUID();
    const items = cart.items.map(({ productId, qty }) => ({ productId, qty }));
    const reserved = await deps.inventory.call('POST', '/internal/reservations', {
      json: { ref, items },
    });
    if (reserved.status === 409) throw new HttpError(409, 'out of stock', reserved.body);
    expect(reserved, 201, 'inventory');
    let id: number;
    try {
      const charged = await deps.payment.call('POST', '/internal/charges', {
        json: { ref, userId, amountCents: cart.totalCents },
      });
      if (charged.status === 402) throw new HttpError(402, 'payment declined', { ref });
      expect(charged, 201, 'payment');
      const { paymentId } = Charged.parse(charged.body);
      const { items: lines, totalCents } = cart;
      id = await insertOrder(deps.db, { ref, userId, paymentId, items: lines, totalCents });
    } catch (error) {
      await deps.inventory
        .call('POST', `/internal/reservations/${ref}/release`)
        .catch((e: Error) => deps.log(`order ${ref}: releasing stock failed: ${e.message}`));
      throw error;
    }
    // The order is placed: a cart that fails to empty must not turn into an error answer.
    await deps.cart
      .call('DELETE', `/api/cart/${user}`)
      .catch((e: Error) => deps.log(`order ${id}: emptying the cart failed: ${e.message}`));
    await audit(id, ref, userId);
    await publisher.publish({ orderId: id, ref, userId, items });
    return id;
  };

  return [
    {
      method: 'POST',
      pattern: '/api/orders',
      handler: async (ctx) => {
        const { userId } = await ctx.json(PlaceOrder);
        const id = await place(userId);
        return {
          status: 201,
          body: await readOrder(deps.db, id),
          headers: { location: `/api/orders/${id}` },
        };
      },
    },
    {
      method: 'GET',
      pattern: '/api/orders/:id',
      handler: async ({ params }) => {
        const id = Number(params.id);
        const order = Number.isSafeInteger(id) && id > 0 ? await readOrder(deps.db, id) : undefined;
        if (!order) throw new HttpError(404, `no order ${params.id}`);
        return { status: 200, body: order };
      },
    },
  ];
}
