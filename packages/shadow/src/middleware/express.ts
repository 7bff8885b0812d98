// Express 5 middleware. Mount it first so every later middleware and handler (and
// everything they await) runs in the shadow context.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { runInShadow } from '../context.js';
import { acceptIncoming } from '../incoming.js';
import type { Shadow } from '../shadow.js';
import { bindRequestToShadow } from './bind.js';

export function shadowExpress(shadow: Shadow): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const ctx = acceptIncoming(shadow, req);
    if (!ctx) return next();
    bindRequestToShadow(req, ctx);
    runInShadow(ctx, () => next());
  };
}
