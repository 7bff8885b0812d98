import type { RampPoint } from './capacity.js';

/**
 * The same concurrency `computeCapacity` fits the USL to: measured, else Little's law
 * (QPS × latency, mean when given, else p99).
 */
export function rampConcurrency(p: RampPoint): number {
  return p.concurrency ?? (p.qps * (p.meanLatencyMs ?? p.p99Ms)) / 1000;
}
