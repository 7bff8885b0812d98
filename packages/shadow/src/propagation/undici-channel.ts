// Zero-code propagation for fetch and undici: a diagnostics_channel subscriber on
// `undici:request:create`, published by both Node's bundled undici (global fetch) and
// the undici package, synchronously in the caller's async context. Node 20's bundled
// undici keeps request headers as a `name: value\r\n` string, undici 7 as a flat array.
import { subscribe } from 'node:diagnostics_channel';
import type { Shadow } from '../shadow.js';
import { applyPlan, type HeaderAccess, planOutgoing } from './outgoing.js';

interface UndiciRequest {
  origin: string | URL;
  path: string;
  headers: string | unknown[];
}

function access(req: UndiciRequest): HeaderAccess {
  const pairs: Array<[string, string]> = [];
  if (typeof req.headers === 'string') {
    for (const line of req.headers.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) pairs.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
    }
  } else {
    for (let i = 0; i + 1 < req.headers.length; i += 2) {
      pairs.push([String(req.headers[i]), String(req.headers[i + 1])]);
    }
  }
  const write = () => {
    req.headers =
      typeof req.headers === 'string'
        ? pairs.map(([k, v]) => `${k}: ${v}\r\n`).join('')
        : pairs.flat();
  };
  const find = (name: string) => pairs.findIndex(([k]) => k.toLowerCase() === name);
  return {
    get: (name) => pairs[find(name)]?.[1],
    set: (name, value) => {
      const i = find(name);
      if (i >= 0) pairs[i] = [name, value];
      else pairs.push([name, value]);
      write();
    },
    delete: (name) => {
      for (let i = find(name); i >= 0; i = find(name)) pairs.splice(i, 1);
      write();
    },
  };
}

export function subscribeUndici(shadow: Shadow): void {
  subscribe('undici:request:create', (message) => {
    const { request } = message as { request: UndiciRequest };
    const plan = planOutgoing(shadow, new URL(request.path, request.origin), 'fetch');
    if (plan.action !== 'none') applyPlan(plan, access(request));
  });
}
