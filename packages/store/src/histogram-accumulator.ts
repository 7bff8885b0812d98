import { inflateSync } from 'node:zlib';
import {
  createLatencyHistogram,
  decodeHistogram,
  encodeHistogram,
  type Histogram,
} from '@loadline/histogram';
import {
  addCounts,
  COMPRESSED_COOKIE_BASE,
  COUNTS_LENGTH,
  compressPlain,
  cookieBase,
  encodePlain,
  HEADER_BYTES,
  isSharedLayout,
  PLAIN_COOKIE_BASE,
  plainBytes,
  valueFromIndex,
} from './v2-encoding.js';

/**
 * A row's histogram inflates to about a kilobyte: zlib's default 16 KB output chunk, made
 * for every call, cost more than inflating (8 against 14.5 µs a histogram, fleet-sim's).
 */
const INFLATE_OPTIONS = { chunkSize: 1024 };

/**
 * The plain V2 encoding inside base64 text, inflating the compressed form: decode a row's
 * histogram once with this, then add it where it goes with `addPlain`.
 */
export function plainOf(encoded: string): Buffer {
  const bytes = Buffer.from(encoded, 'base64');
  const cookie = bytes.length >= 8 ? cookieBase(bytes.readInt32BE(0)) : 0;
  const plain =
    cookie === COMPRESSED_COOKIE_BASE
      ? inflateSync(bytes.subarray(8, 8 + bytes.readInt32BE(4)), INFLATE_OPTIONS)
      : cookie === PLAIN_COOKIE_BASE
        ? bytes
        : undefined;
  if (
    !plain ||
    plain.length < HEADER_BYTES ||
    cookieBase(plain.readInt32BE(0)) !== PLAIN_COOKIE_BASE
  ) {
    throw new RangeError('not an HdrHistogram V2 encoding');
  }
  // the counts its header promises must be there (`addPlain` reads that many bytes)
  if (HEADER_BYTES + plain.readInt32BE(4) > plain.length) {
    throw new RangeError('HdrHistogram payload is truncated');
  }
  return plain;
}

/** A double's unit in the last place (as hdr-histogram-js computes it). */
const ulp = (x: number) => 2 ** (Math.floor(Math.log2(x)) - 52);

/**
 * Merges base64 HdrHistograms (V2, compressed or plain) exactly, fast. Histograms in the
 * shared layout have their counts added straight into one counts array: ~13 µs a row
 * against ~70 µs for decode + add through hdr-histogram-js, which allocates a 136 KB
 * array per histogram. Any other layout goes through `decodeHistogram`, which re-homes it.
 * Adding counts is exact and associative: the result is the histogram of every sample of
 * every input, in any grouping.
 */
export class HistogramAccumulator {
  readonly #counts = new Float64Array(COUNTS_LENGTH);
  #foreign: Histogram | undefined;
  #total = 0;
  /** one past the highest counts index written, so sparse work stays sparse */
  #end = 0;

  get totalCount(): number {
    return this.#total + (this.#foreign?.totalCount ?? 0);
  }

  /** Adds one encoded histogram; "" (no samples) adds nothing. */
  addEncoded(encoded: string): void {
    if (encoded === '') return;
    this.addPlain(plainOf(encoded));
  }

  /** Adds one histogram in its plain encoding (from `plainOf`). */
  addPlain(plain: Buffer): void {
    if (!isSharedLayout(plain)) {
      // hdr-histogram-js decodes the compressed form only.
      this.addHistogram(decodeHistogram(compressPlain(plain)));
      return;
    }
    const [total, end] = addCounts(this.#counts, plain);
    this.#total += total;
    if (end > this.#end) this.#end = end;
  }

  /** Adds a decoded histogram (any layout). */
  addHistogram(histogram: Histogram): void {
    this.#foreign ??= createLatencyHistogram();
    this.#foreign.add(histogram);
  }

  /** Adds everything another accumulator holds. */
  addAccumulator(other: HistogramAccumulator): void {
    const counts = this.#counts;
    const source = other.#counts;
    for (let i = 0; i < other.#end; i++) counts[i]! += source[i]!;
    this.#total += other.#total;
    if (other.#end > this.#end) this.#end = other.#end;
    if (other.#foreign) this.addHistogram(other.#foreign);
  }

  /**
   * The value (µs) at `percentile`, as HdrHistogram's getValueAtPercentile reads it from
   * the merged histogram (the highest value equivalent to the bucket that holds it; the
   * lowest at 0), straight from the counts: no histogram is built. 0 when empty.
   */
  valueAtPercentile(percentile: number): number {
    return this.valuesAtPercentiles([percentile])[0]!;
  }

  /** valueAtPercentile of each of `percentiles` (ascending), in one pass over the counts. */
  valuesAtPercentiles(percentiles: readonly number[]): number[] {
    if (this.#foreign) {
      const histogram = this.toHistogram();
      return percentiles.map((p) => histogram.getValueAtPercentile(p));
    }
    const out = percentiles.map(() => 0);
    if (this.#total === 0) return out;
    const counts = this.#counts;
    // running: the samples in buckets 0..i, i the bucket of the last percentile found
    let running = 0;
    let i = -1;
    for (const [k, percentile] of percentiles.entries()) {
      if (k > 0 && percentile < percentiles[k - 1]!) throw new RangeError('percentiles ascend');
      const fpCount = (Math.min(percentile, 100) / 100) * this.#total;
      // hdr-histogram-js's rounding, ulp and all, so both find the same bucket.
      const atCount = Math.max(Math.ceil(fpCount - (fpCount > 0 ? ulp(fpCount) : 0)), 1);
      while (running < atCount && i + 1 < this.#end) running += counts[++i]!;
      if (running < atCount) break;
      out[k] = percentile === 0 ? valueFromIndex(i) : valueFromIndex(i + 1) - 1;
    }
    return out;
  }

  /** Empties it, for reuse (a scratch accumulator costs its counts array once). */
  reset(): void {
    this.#counts.fill(0, 0, this.#end);
    this.#end = 0;
    this.#total = 0;
    this.#foreign = undefined;
  }

  /** The merged histogram, in the shared layout. */
  toHistogram(): Histogram {
    const histogram = createLatencyHistogram();
    const counts = this.#counts;
    for (let i = 0; i < this.#end; i++) {
      const count = counts[i]!;
      if (count > 0) histogram.recordValueWithCount(valueFromIndex(i), count);
    }
    if (this.#foreign) histogram.add(this.#foreign);
    return histogram;
  }

  /** The merged histogram's plain V2 encoding (what `addPlain` takes); undefined when empty. */
  toPlain(): Buffer | undefined {
    if (this.totalCount === 0) return undefined;
    if (this.#foreign) return plainOf(encodeHistogram(this.toHistogram()));
    return plainBytes(this.#counts, this.#end);
  }

  /** Base64 of the merged histogram: plain V2 (cheap to read back); "" when empty. */
  toEncoded(): string {
    if (this.totalCount === 0) return '';
    if (this.#foreign) return encodeHistogram(this.toHistogram());
    return encodePlain(this.#counts, this.#end);
  }
}
