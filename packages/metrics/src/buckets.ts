// Prometheus histograms as cumulative buckets (upper bound in seconds → count of
// observations at or below it). Increases between scrapes are histograms of their own
// interval; a window's histogram is the sum of its intervals' (and instances'), and its
// quantiles come from that sum — never from a percentile of per-interval percentiles.

/** Cumulative bucket counts by upper bound (seconds; the last one +Inf). */
export type Buckets = ReadonlyMap<number, number>;

/** The observations between two readings of the same cumulative buckets. */
export function bucketIncrease(before: Buckets, after: Buckets): Map<number, number> {
  const increase = new Map<number, number>();
  for (const bound of [...after.keys()].sort((a, b) => a - b)) {
    increase.set(bound, Math.max(0, (after.get(bound) ?? 0) - (before.get(bound) ?? 0)));
  }
  return increase;
}

/** The cumulative count at or below `bound`: that of the largest own bound not above it. */
function countAtOrBelow(buckets: Buckets, sortedBounds: readonly number[], bound: number): number {
  let count = 0;
  for (const own of sortedBounds) {
    if (own > bound) break;
    count = buckets.get(own) ?? 0;
  }
  return count;
}

/**
 * One histogram of several (seconds of a window, instances of a service): counts summed
 * bound by bound. Where the bounds differ, a histogram counts at a foreign bound what it
 * has at its own largest bound below it (an underestimate, never an invented count).
 */
export function mergeBuckets(histograms: Iterable<Buckets>): Map<number, number> {
  const all = [...histograms];
  const bounds = [...new Set(all.flatMap((h) => [...h.keys()]))].sort((a, b) => a - b);
  const merged = new Map<number, number>(bounds.map((b) => [b, 0]));
  for (const histogram of all) {
    const own = [...histogram.keys()].sort((a, b) => a - b);
    for (const bound of bounds) {
      merged.set(bound, (merged.get(bound) ?? 0) + countAtOrBelow(histogram, own, bound));
    }
  }
  return merged;
}

/**
 * A quantile of cumulative buckets, interpolated linearly inside the bucket as Prometheus'
 * histogram_quantile does (in the buckets' unit, seconds); null without observations.
 * Only as good as the buckets: the agents' HdrHistograms stay the precise latency.
 */
export function bucketQuantile(buckets: Buckets, q: number): number | null {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => buckets.get(b) ?? 0);
  const total = counts.at(-1) ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if ((counts[i] as number) >= rank) {
      const upper = bounds[i] as number;
      const lower = i === 0 ? 0 : (bounds[i - 1] as number);
      if (!Number.isFinite(upper)) return lower;
      const below = i === 0 ? 0 : (counts[i - 1] as number);
      const inBucket = (counts[i] as number) - below;
      return inBucket === 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
    }
  }
  return bounds.at(-2) ?? null;
}

/** A quantile of what the buckets counted between two scrapes; null without data. */
export function quantileFromBuckets(before: Buckets, after: Buckets, q: number): number | null {
  return bucketQuantile(bucketIncrease(before, after), q);
}
