// Keeping shadow traffic out of production dashboards. Choice: one registry, a `traffic`
// label (`production` | `shadow`) on every service metric, taken from the current
// context. Dashboards and alerts add `traffic="production"`; capacity reports read
// `traffic="shadow"`. One registry keeps a single /metrics endpoint and lets a panel
// compare both; separate registries would need a second scrape target per service.
import { currentShadow } from './context.js';

export type Traffic = 'production' | 'shadow';
export const TRAFFIC_LABEL = 'traffic';

export function currentTraffic(): Traffic {
  return currentShadow() ? 'shadow' : 'production';
}

/** `labels` plus `traffic` for the current context, for prom-client `.labels()` / `.inc()`. */
export function trafficLabels<L extends Record<string, string | number>>(
  labels?: L,
): L & { traffic: Traffic } {
  return { ...(labels ?? ({} as L)), [TRAFFIC_LABEL]: currentTraffic() };
}

/** Adds `traffic` to a metric's label names, e.g. `new Counter({ labelNames: withTrafficLabel(['route']) })`. */
export function withTrafficLabel<N extends string>(
  labelNames: readonly N[] = [],
): Array<N | 'traffic'> {
  return [...labelNames, TRAFFIC_LABEL];
}
