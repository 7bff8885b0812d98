/**
 * inventory: stock per product in Postgres. The order service reserves stock over HTTP
 * (or releases it when payment fails); the `order-placed` event, consumed from the queue,
 * turns a reservation into taken stock. Applying an event twice takes stock once.
 */
import { z } from 'zod';
import type { Database, Queryable } from '../db.js';
import { HttpError, type Route } from '../http.js';
import type { OrderPlaced } from '../queue.js';
import { ReservationItem } from './schemas.js';

const Reserve = z.object({
  ref: z.string().min(1).max(100),
  items: z.array(ReservationItem).min(1),
});

interface StockRow {
  product_id: number;
  stock: number;
  reserved: number;
}

function merge(items: ReservationItem[]): ReservationItem[] {
  const qty = new Map<number, number>();
  for (const item of items) qty.set(item.productId, (qty.get(item.productId) ?? 0) + item.qty);
  return [...qty].sort(([a], [b]) => a - b).map(([productId, q]) => ({ productId, qty: q }));
}

async function reserve(tx: Queryable, ref: string, items: ReservationItem[]): Promise<void> {
  // Rows in product order, so concurrent reservations cannot deadlock on a server.
  for (const item of merge(items)) {
    const updated = await tx.query(
      `update inventory set reserved = reserved + $2
       where product_id = $1 and stock - reserved >= $2`,
      [item.productId, item.qty],
    );
    if (updated.rowCount === 0) {
      throw new HttpError(409, `not enough stock of product ${item.productId}`, item);
    }
    await tx.query(
      'insert into inventory_reservations (ref, product_id, qty) values ($1, $2, $3)',
      [ref, item.productId, item.qty],
    );
  }
}

/** Ends a reservation: `take` turns it into sold stock, otherwise it is given back. */
async function settle(tx: Queryable, ref: string, take: boolean): Promise<number> {
  const { rows } = await tx.query<{ product_id: number; qty: number }>(
    'delete from inventory_reservations where ref = $1 returning product_id, qty',
    [ref],
  );
  for (const row of rows.sort((a, b) => a.product_id - b.product_id)) {
    await tx.query(
      `update inventory set reserved = reserved - $2 ${take ? ', stock = stock - $2' : ''}
       where product_id = $1`,
      [row.product_id, row.qty],
    );
  }
  return rows.length;
}

export function inventoryRoutes(db: Database): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/api/inventory/:productId',
      handler: async ({ params }) => {
        const id = Number(params.productId);
        const { rows } = Number.isInteger(id)
          ? await db.query<StockRow>(
              'select product_id, stock, reserved from inventory where product_id = $1',
              [id],
            )
          : { rows: [] };
        const row = rows[0];
        if (!row) throw new HttpError(404, `no product ${params.productId}`);
        const { product_id: productId, stock, reserved } = row;
        return { status: 200, body: { productId, stock, reserved, available: stock - reserved } };
      },
    },
    {
      method: 'POST',
      pattern: '/internal/reservations',
      handler: async (ctx) => {
        const { ref, items } = await ctx.json(Reserve);
        await db.transaction((tx) => reserve(tx, ref, items));
        return { status: 201, body: { ref } };
      },
    },
    {
      method: 'POST',
      pattern: '/internal/reservations/:ref/release',
      handler: async ({ params }) => {
        const released = await db.transaction((tx) => settle(tx, params.ref as string, false));
        return { status: 200, body: { ref: params.ref, released } };
      },
    },
  ];
}

/** The queue consumer's work for one placed order. */
export function takeStock(db: Database, event: OrderPlaced): Promise<number> {
  return db.transaction((tx) => settle(tx, event.ref, true));
}
