// The latency histograms the fleet simulation's agents report: per step, lognormal
// latencies (sigma 0.6) around a median that grows with the step; a 2xx row holds the
// step's share of the agent's requests, a 5xx row 1 % of it. Built and encoded with
// @loadline/histogram, as an agent's engine builds them.
import { createLatencyHistogram, encodeHistogram, recordLatencyUs } from '@loadline/histogram';

export const STEPS = 20;
export const STATUS_CLASSES = ['2xx', '5xx'];

/** One encoded histogram of `step`/`statusClass` for an agent sending `agentRps` requests/s. */
export function stepHistogram(step, statusClass, agentRps) {
  const perStep = Math.max(1, Math.round(agentRps / STEPS));
  const [count, medianMs] =
    statusClass === '2xx'
      ? [perStep, 5 + step * 3]
      : [Math.max(1, Math.round(perStep / 100)), 1 + step];
  const h = createLatencyHistogram();
  for (let i = 0; i < count; i++) {
    // Box-Muller normal, then lognormal.
    const z = Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
    recordLatencyUs(h, Math.round(medianMs * 1000 * Math.exp(0.6 * z)));
  }
  return { requests: count, histogram: encodeHistogram(h) };
}
