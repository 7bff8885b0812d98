// Fastify 5 plugin: an onRequest hook that verifies the tag and continues the hook chain
// inside the context. Marked skip-override (what fastify-plugin does) so the hook applies
// to the whole instance, not only to an encapsulated child.
import type { FastifyPluginCallback } from 'fastify';
import { runInShadow } from '../context.js';
import { acceptIncoming } from '../incoming.js';
import type { Shadow } from '../shadow.js';
import { bindRequestToShadow } from './bind.js';

export interface ShadowFastifyOptions {
  shadow: Shadow;
}

export const shadowFastify: FastifyPluginCallback<ShadowFastifyOptions> = (app, opts, done) => {
  app.addHook('onRequest', (request, _reply, next) => {
    const ctx = acceptIncoming(opts.shadow, request.raw);
    if (!ctx) return next();
    bindRequestToShadow(request.raw, ctx);
    runInShadow(ctx, () => next());
  });
  done();
};
Reflect.set(shadowFastify, Symbol.for('skip-override'), true);
Reflect.set(shadowFastify, Symbol.for('fastify.display-name'), '@loadline/shadow');
