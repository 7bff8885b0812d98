// Body parsers (express.json, Fastify's content parser, raw-body) read the request with
// `req.on('data' | 'end')`. Those events are emitted from the socket's async resource,
// which was created before we verified the tag, so AsyncLocalStorage alone loses the
// shadow context between "headers parsed" and "handler runs". Binding the request's
// emit to the context closes that gap for every framework at once.
import type { IncomingMessage } from 'node:http';
import { runInShadow, type ShadowContext } from '../context.js';

export function bindRequestToShadow(req: IncomingMessage, ctx: ShadowContext): void {
  const emit = req.emit;
  req.emit = function boundEmit(this: IncomingMessage, ...args: Parameters<typeof emit>) {
    return runInShadow(ctx, () => emit.apply(this, args));
  } as typeof emit;
}
