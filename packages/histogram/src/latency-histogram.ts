import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  type Histogram,
  JsHistogram,
} from 'hdr-histogram-js';

export type { Histogram } from 'hdr-histogram-js';

/** Latencies are recorded in microseconds: 1 µs resolution floor, 60 s ceiling. */
export const LOWEST_TRACKABLE_US = 1;
export const HIGHEST_TRACKABLE_US = 60_000_000;
export const SIGNIFICANT_DIGITS = 3;

/**
 * A latency histogram with the fixed range every Loadline histogram shares, so that any
 * two of them merge exactly (same bucket layout). Counts are 64-bit floats: exact up to
 * 2^53, which no run reaches.
 */
export function createLatencyHistogram(): Histogram {
  return build({
    bitBucketSize: 64,
    autoResize: false,
    lowestDiscernibleValue: LOWEST_TRACKABLE_US,
    highestTrackableValue: HIGHEST_TRACKABLE_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
  });
}

/**
 * Records one latency. Values outside the trackable range are clamped rather than
 * dropped: a 90 s stall is still a sample (at the 60 s ceiling), never a lost one.
 * NaN is not a latency and throws a RangeError: hdr-histogram-js would otherwise add
 * it to totalCount without putting it in any bucket, silently skewing every percentile.
 * `count` must be a non-negative integer; 0 records nothing.
 */
export function recordLatencyUs(histogram: Histogram, latencyUs: number, count = 1): void {
  let value = Math.round(latencyUs);
  if (Number.isNaN(value)) throw new RangeError(`latency is not a number: ${latencyUs}`);
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`count must be a non-negative integer, got ${count}`);
  }
  // hdr-histogram-js would still move min/max for a zero count.
  if (count === 0) return;
  if (value < LOWEST_TRACKABLE_US) value = LOWEST_TRACKABLE_US;
  else if (value > HIGHEST_TRACKABLE_US) value = HIGHEST_TRACKABLE_US;
  if (count === 1) histogram.recordValue(value);
  else histogram.recordValueWithCount(value, count);
}

/**
 * Merges histograms into a new one. HdrHistogram addition is exact and associative,
 * so merging per-agent or per-second histograms in any grouping gives the same
 * percentiles as recording every sample in one place.
 */
export function mergeHistograms(histograms: Iterable<Histogram>): Histogram {
  const merged = createLatencyHistogram();
  for (const histogram of histograms) merged.add(histogram);
  return merged;
}

/** Adds `source` into `target` in place (exact). */
export function addInto(target: Histogram, source: Histogram): void {
  target.add(source);
}

/**
 * Encodes in the compressed base64 form of the HdrHistogram log format (V2 encoding,
 * zlib-compressed), readable by every HdrHistogram implementation.
 */
export function encodeHistogram(histogram: Histogram): string {
  return encodeIntoCompressedBase64(histogram);
}

/**
 * Decodes the compressed base64 form (from any HdrHistogram implementation) into a
 * histogram with the shared layout. Histograms encoded with another range or precision
 * are re-homed bucket by bucket, with values outside 1 µs–60 s clamped like
 * `recordLatencyUs` does, so they always merge with locally recorded ones.
 */
export function decodeHistogram(encoded: string): Histogram {
  const decoded = decodeFromCompressedBase64(encoded, 64, false);
  if (!(decoded instanceof JsHistogram)) return decoded; // not reached: WebAssembly is off
  if (
    decoded.lowestDiscernibleValue === LOWEST_TRACKABLE_US &&
    decoded.highestTrackableValue === HIGHEST_TRACKABLE_US &&
    decoded.numberOfSignificantValueDigits === SIGNIFICANT_DIGITS
  ) {
    return decoded;
  }
  const rehomed = createLatencyHistogram();
  for (let index = 0; index < decoded.countsArrayLength; index++) {
    const count = decoded.getCountAtIndex(index);
    if (count > 0) recordLatencyUs(rehomed, decoded.valueFromIndex(index), count);
  }
  return rehomed;
}
