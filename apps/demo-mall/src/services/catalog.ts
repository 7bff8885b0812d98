/** catalog: product listing and detail, from the deterministic catalogue in memory. */
import type { Product } from '../catalogue.js';
import { HttpError, type Route } from '../http.js';

const PAGE_SIZE = 20;

function view(product: Product) {
  return { id: product.id, name: product.name, priceCents: product.priceCents };
}

export function catalogRoutes(products: Product[]): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/api/products',
      handler: ({ query }) => {
        const page = Math.max(1, Math.floor(Number(query.get('page') ?? '1')) || 1);
        const items = products.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE).map(view);
        return {
          status: 200,
          body: { page, pageSize: PAGE_SIZE, total: products.length, items },
        };
      },
    },
    {
      method: 'GET',
      pattern: '/api/products/:id',
      handler: ({ params }) => {
        const id = Number(params.id);
        const product = Number.isInteger(id) ? products[id - 1] : undefined;
        if (!product) throw new HttpError(404, `no product ${params.id}`);
        return { status: 200, body: view(product) };
      },
    },
  ];
}
