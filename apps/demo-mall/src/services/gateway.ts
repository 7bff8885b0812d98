/**
 * gateway: the mall's front door. Routes each public API call to an instance of the
 * service behind it (round-robin, keep-alive), streaming bodies both ways, with every
 * end-to-end header but the shadow tag: that one only the shadow SDK sets (on calls to
 * the mall's own hosts, when the request's tag was verified).
 */
import type http from 'node:http';
import { z } from 'zod';
import { type Context, HttpError, type Route } from '../http.js';
import { type Upstream, weightsProblem } from '../upstream.js';

export type Backend = 'catalog' | 'cart' | 'order' | 'inventory';

const PUBLIC_ROUTES: ReadonlyArray<[string, string, Backend]> = [
  ['GET', '/api/products', 'catalog'],
  ['GET', '/api/products/:id', 'catalog'],
  ['POST', '/api/cart', 'cart'],
  ['GET', '/api/cart/:userId', 'cart'],
  ['DELETE', '/api/cart/:userId', 'cart'],
  ['POST', '/api/orders', 'order'],
  ['GET', '/api/orders/:id', 'order'],
  ['GET', '/api/inventory/:productId', 'inventory'],
];

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

const TIMEOUT_MS = 10_000;

function endToEnd(
  headers: http.IncomingHttpHeaders,
  drop = new Set<string>(),
): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !drop.has(name)) out[name] = value;
  }
  return out;
}

/** Set by the SDK on the outgoing call, never copied: a copy would bypass its host check. */
const SHADOW_CARRIERS = new Set(['x-loadline-shadow']);

function proxy(upstream: Upstream, { req, res }: Context): Promise<undefined> {
  const target = upstream.pick();
  const headers = endToEnd(req.headers, SHADOW_CARRIERS);
  const from = req.socket.remoteAddress;
  if (from) {
    const prior = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = prior ? `${prior}, ${from}` : from;
  }
  return new Promise((resolve, reject) => {
    const out = upstream.request(
      {
        host: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port,
        method: req.method,
        path: req.url,
        headers,
        agent: upstream.agent,
        timeout: TIMEOUT_MS,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
        answer.pipe(res);
        answer.on('end', () => resolve(undefined));
        answer.on('error', reject);
      },
    );
    // A client that goes away takes its upstream request with it.
    res.once('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    out.on('timeout', () => out.destroy(new HttpError(504, `${upstream.service} timed out`)));
    out.on('error', (error) =>
      reject(
        error instanceof HttpError
          ? error
          : new HttpError(502, `${upstream.service} is unreachable`, error.message),
      ),
    );
    req.pipe(out);
  });
}

const Weights = z.record(z.string(), z.array(z.number().min(0)).min(1));

/**
 * The weights admin API: `GET /admin/weights` → `{ catalog: [1, 1], … }`;
 * `PUT /admin/weights { catalog: [9, 1] }` sends 90% of catalog calls to its first instance.
 */
function weightRoutes(backends: Record<Backend, Upstream>): Route[] {
  const current = () =>
    Object.fromEntries(Object.entries(backends).map(([name, up]) => [name, up.weights]));
  return [
    { method: 'GET', pattern: '/admin/weights', handler: () => ({ status: 200, body: current() }) },
    {
      method: 'PUT',
      pattern: '/admin/weights',
      handler: async (ctx) => {
        const wanted = await ctx.json(Weights);
        for (const name of Object.keys(wanted)) {
          if (!(name in backends)) {
            throw new HttpError(422, `no service "${name}" behind the gateway`, {
              services: Object.keys(backends),
            });
          }
        }
        // Checked for every service first: a bad entry changes nothing.
        for (const [name, weights] of Object.entries(wanted)) {
          const problem = weightsProblem(name, backends[name as Backend].weights.length, weights);
          if (problem) throw new HttpError(422, problem);
        }
        for (const [name, weights] of Object.entries(wanted))
          backends[name as Backend].setWeights(weights);
        return { status: 200, body: current() };
      },
    },
  ];
}

export function gatewayRoutes(backends: Record<Backend, Upstream>): Route[] {
  return [
    ...PUBLIC_ROUTES.map(([method, pattern, backend]) => ({
      method,
      pattern,
      handler: (ctx: Context) => proxy(backends[backend], ctx),
    })),
    ...weightRoutes(backends),
  ];
}
