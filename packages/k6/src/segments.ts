/**
 * Execution segments: one agent's share of a scenario, striped as k6's execution segments
 * stripe VUs, iterations and rates (lib/execution_segment.go), so the shares of any number of
 * agents add up exactly to the whole.
 */
import type { ExecutorConfig } from './options.js';

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * A full execution-segment sequence striped as k6's ExecutionSegmentSequenceWrapper does: out of
 * every `lcd` consecutive units (VUs, iterations), `owner[u]` is the segment that gets unit u.
 */
interface Striping {
  lcd: number;
  /** prefix[i][u] = how many of the first u units of a cycle segment i owns. */
  prefix: number[][];
}

/** `lengths` are the segments' sizes as [numerator, denominator], summing to 1. */
function stripe(lengths: Array<[number, number]>): Striping {
  const reduced = lengths.map(([n, d]) => [n / gcd(n, d), d / gcd(n, d)] as const);
  const lcd = reduced.reduce((acc, [, d]) => (acc / gcd(acc, d)) * d, 1);
  const norm = reduced.map(([n, d]) => n * (lcd / d));
  const order = norm.map((_, i) => i).sort((a, b) => norm[b]! - norm[a]!); // stable
  const chosen = order.map(() => 0);
  const prefix = norm.map(() => [0]);
  for (let unit = 0; unit < lcd; unit++) {
    let owner = -1;
    for (let pos = 0; pos < order.length && owner < 0; pos++) {
      const num = chosen[pos]! * lcd;
      const den = norm[order[pos]!]!;
      const q = Math.floor(num / den);
      if (unit > q || (unit === q && num % den === 0)) {
        chosen[pos]!++;
        owner = order[pos]!;
      }
    }
    prefix.forEach((p, i) => {
      p.push(p[unit]! + (i === owner ? 1 : 0));
    });
  }
  return { lcd, prefix };
}

/** k6's ScaleInt64: segment i's share of `value` units; the shares sum to `value`. */
function scaleInt(s: Striping, i: number, value: number): number {
  const p = s.prefix[i]!;
  return Math.floor(value / s.lcd) * p[s.lcd]! + p[value % s.lcd]!;
}

/**
 * k6's GetNewExecutionSegmentSequenceFromValue: re-segments so each segment's length is its
 * share of `value`; segments with no share drop out. Undefined when segment `index` drops out.
 */
function resegment(s: Striping, count: number, index: number, value: number) {
  if (value < 1) return undefined;
  if (value % s.lcd === 0) return { striping: s, index };
  const shares = Array.from({ length: count }, (_, i) => scaleInt(s, i, value));
  if (shares[index] === 0) return undefined;
  const kept = shares.filter((n) => n > 0);
  return {
    striping: stripe(kept.map((n) => [n, value])),
    index: shares.slice(0, index).filter((n) => n > 0).length,
  };
}

/**
 * An arrival rate scaled by part/whole, kept exact: the rates stay integers and the timeUnit
 * grows instead (10/s over 3 equal shares is 10 per 3s each).
 */
function scaleRates(rates: number[], timeUnit: number, part: number, whole: number) {
  const g = gcd(part, whole);
  const scaled = rates.map((r) => r * (part / g));
  const d = scaled.reduce(gcd, whole / g);
  return { rates: scaled.map((r) => r / d), timeUnit: timeUnit * (whole / g / d) };
}

/**
 * Agent `index` of `count`'s share of a scenario, striped like k6's execution segments
 * `index/count:(index+1)/count`: VUs, iterations, preAllocatedVUs and maxVUs are split so the
 * shares sum exactly to the whole (10 VUs over 3 agents → 4, 3, 3); shared iterations are
 * split in proportion to each agent's VUs and arrival rates in proportion to its maxVUs, as k6
 * does. Undefined when the agent has nothing to run (k6's HasWork).
 */
export function shareOf(
  config: ExecutorConfig,
  index: number,
  count: number,
): ExecutorConfig | undefined {
  if (
    !Number.isSafeInteger(count) ||
    count < 1 ||
    !Number.isSafeInteger(index) ||
    index < 0 ||
    index >= count
  ) {
    throw new RangeError(`shareOf: agent index ${index} of ${count} is out of range`);
  }
  const base = stripe(Array.from({ length: count }, () => [1, count]));
  const scale = (value: number) => scaleInt(base, index, value);
  switch (config.executor) {
    case 'shared-iterations': {
      const vus = scale(config.vus);
      const seg = resegment(base, count, index, config.vus);
      const iterations = seg ? scaleInt(seg.striping, seg.index, config.iterations) : 0;
      return vus > 0 && iterations > 0 ? { ...config, vus, iterations } : undefined;
    }
    case 'per-vu-iterations':
    case 'constant-vus': {
      const vus = scale(config.vus);
      return vus > 0 ? { ...config, vus } : undefined;
    }
    case 'ramping-vus': {
      const startVUs = scale(config.startVUs);
      const stages = config.stages.map((s) => ({ ...s, target: scale(s.target) }));
      return Math.max(startVUs, ...stages.map((s) => s.target)) > 0
        ? { ...config, startVUs, stages }
        : undefined;
    }
    case 'constant-arrival-rate':
    case 'ramping-arrival-rate': {
      const maxVUs = scale(config.maxVUs);
      if (maxVUs === 0) return undefined;
      const preAllocatedVUs = scale(config.preAllocatedVUs);
      if (config.executor === 'constant-arrival-rate') {
        const { rates, timeUnit } = scaleRates(
          [config.rate],
          config.timeUnit,
          maxVUs,
          config.maxVUs,
        );
        return { ...config, rate: rates[0]!, timeUnit, preAllocatedVUs, maxVUs };
      }
      const all = [config.startRate, ...config.stages.map((s) => s.target)];
      const { rates, timeUnit } = scaleRates(all, config.timeUnit, maxVUs, config.maxVUs);
      const stages = config.stages.map((s, i) => ({ ...s, target: rates[i + 1]! }));
      return { ...config, startRate: rates[0]!, timeUnit, stages, preAllocatedVUs, maxVUs };
    }
  }
}
