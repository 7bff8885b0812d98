// node:http integration: wrap a request listener (explicit adoption), or patch
// Server.prototype.emit so every server in the process is covered (zero-code preload).
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { runInShadow } from '../context.js';
import { acceptIncoming } from '../incoming.js';
import type { Shadow } from '../shadow.js';
import { bindRequestToShadow } from './bind.js';

export function shadowListener<
  Req extends typeof IncomingMessage = typeof IncomingMessage,
  Res extends typeof ServerResponse<InstanceType<Req>> = typeof ServerResponse,
>(shadow: Shadow, listener: RequestListener<Req, Res>): RequestListener<Req, Res> {
  return (req, res) => {
    const ctx = acceptIncoming(shadow, req);
    if (!ctx) return listener(req, res);
    bindRequestToShadow(req, ctx);
    return runInShadow(ctx, () => listener(req, res));
  };
}

const PATCHED = Symbol.for('loadline.shadow.http-server');

/**
 * Runs every `request` event of every http/https server in the tag's context. Patching
 * emit (as OpenTelemetry does) rather than createServer also covers `new Server()` and
 * listeners added later with `server.on('request')`.
 */
export function patchHttpServer(shadow: Shadow, ServerClass: { prototype: Server }): void {
  const proto = ServerClass.prototype as Server & { [PATCHED]?: true };
  if (proto[PATCHED]) return;
  const emit = proto.emit as (this: Server, event: string | symbol, ...args: unknown[]) => boolean;
  proto.emit = function patchedEmit(this: Server, event: string | symbol, ...args: unknown[]) {
    if (event !== 'request') return emit.call(this, event, ...args);
    const req = args[0] as IncomingMessage;
    const ctx = acceptIncoming(shadow, req);
    if (!ctx) return emit.call(this, event, ...args);
    bindRequestToShadow(req, ctx);
    return runInShadow(ctx, () => emit.call(this, event, ...args));
  } as typeof proto.emit;
  proto[PATCHED] = true;
}
