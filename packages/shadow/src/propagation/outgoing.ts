// One decision for every outgoing client: in a tagged context, internal hosts get the
// tag (header + baggage member), other hosts get it stripped and the call is reported as
// egress. Outside a tagged context nothing is touched.
import { mergeShadowBaggage, removeShadowBaggage } from '../baggage.js';
import { currentShadow, type ShadowContext } from '../context.js';
import type { Shadow } from '../shadow.js';
import { BAGGAGE_HEADER, SHADOW_HEADER } from '../tag.js';

export type OutgoingPlan =
  | { action: 'none' }
  | { action: 'tag'; ctx: ShadowContext }
  | { action: 'strip'; ctx: ShadowContext };

export function planOutgoing(shadow: Shadow, url: URL, via: string): OutgoingPlan {
  const ctx = currentShadow();
  if (!ctx) return { action: 'none' };
  if (shadow.isInternalHost(url.hostname, url.port || defaultPort(url.protocol))) {
    return { action: 'tag', ctx };
  }
  shadow.egress(ctx, url.host, via);
  return { action: 'strip', ctx };
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80';
}

/** Minimal header access shared by fetch Headers, plain records and ClientRequest. */
export interface HeaderAccess {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
  delete(name: string): void;
}

export function applyPlan(plan: OutgoingPlan, headers: HeaderAccess): void {
  if (plan.action === 'none') return;
  const baggage = headers.get(BAGGAGE_HEADER);
  if (plan.action === 'tag') {
    headers.set(SHADOW_HEADER, plan.ctx.tag);
    headers.set(BAGGAGE_HEADER, mergeShadowBaggage(baggage, plan.ctx.tag));
    return;
  }
  headers.delete(SHADOW_HEADER);
  const rest = removeShadowBaggage(baggage);
  if (rest === undefined) headers.delete(BAGGAGE_HEADER);
  else headers.set(BAGGAGE_HEADER, rest);
}

/** HeaderAccess over a plain record whose keys may be in any case. */
export function recordAccess(record: Record<string, unknown>): HeaderAccess {
  const keyOf = (name: string) => Object.keys(record).find((k) => k.toLowerCase() === name);
  return {
    get(name) {
      const k = keyOf(name);
      const v = k === undefined ? undefined : record[k];
      return v === undefined || v === null ? undefined : Array.isArray(v) ? v.join(',') : String(v);
    },
    set(name, value) {
      const k = keyOf(name);
      if (k !== undefined && k !== name) delete record[k];
      record[name] = value;
    },
    delete(name) {
      for (const k of Object.keys(record)) if (k.toLowerCase() === name) delete record[k];
    },
  };
}
