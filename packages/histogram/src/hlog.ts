import { type Histogram, HistogramLogReader } from 'hdr-histogram-js';
import { encodeHistogram } from './latency-histogram.js';

/**
 * Writes a standard HdrHistogram interval log (format version 1.3), the format of
 * jHiccup, wrk2's HdrHistogram output, and the Java `HistogramLogWriter`:
 *
 *   #[Histogram log format version 1.3]
 *   #[StartTime: 1700000000.000 (seconds since epoch), <date>]
 *   #[BaseTime: 1700000000.000 (seconds since epoch)]
 *   "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
 *   0.000,1.000,12.345,HISTFAAAA...
 *
 * Interval timestamps are seconds relative to BaseTime; values are recorded in µs, so
 * Interval_Max is written in ms (max ÷ 1000), like wrk2 and jHiccup do.
 * The writer is line-oriented and holds nothing: memory stays flat however long the run.
 */
export class HlogWriter {
  readonly #write: (chunk: string) => void;
  #baseTimeMs = 0;

  constructor(write: (chunk: string) => void) {
    this.#write = write;
  }

  writeHeader(startTimeMs: number, comment?: string): void {
    this.#baseTimeMs = startTimeMs;
    const seconds = (startTimeMs / 1000).toFixed(3);
    if (comment) this.#write(`#${comment.replace(/[\r\n]+/g, ' ')}\n`);
    this.#write('#[Histogram log format version 1.3]\n');
    this.#write(
      `#[StartTime: ${seconds} (seconds since epoch), ${new Date(startTimeMs).toUTCString()}]\n`,
    );
    this.#write(`#[BaseTime: ${seconds} (seconds since epoch)]\n`);
    this.#write(
      '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"\n',
    );
  }

  /** One interval line; start and end are epoch milliseconds. */
  writeInterval(histogram: Histogram, startMs: number, endMs: number): void {
    const start = ((startMs - this.#baseTimeMs) / 1000).toFixed(3);
    const length = ((endMs - startMs) / 1000).toFixed(3);
    // Like Java's writer: the highest value equivalent to the max bucket, which is what
    // every reader's getMaxValue returns after decoding the histogram on this line.
    const maxMs = (histogram.getValueAtPercentile(100) / 1000).toFixed(3);
    this.#write(`${start},${length},${maxMs},${encodeHistogram(histogram)}\n`);
  }
}

export interface HlogInterval {
  /** Seconds since the log's StartTime (rounded to 1 µs to shed float noise). */
  startS: number;
  /** Interval length in seconds (rounded to 1 µs). */
  lengthS: number;
  histogram: Histogram;
}

export interface ParsedHlog {
  startTimeMs: number;
  intervals: HlogInterval[];
}

const roundUs = (seconds: number): number => Math.round(seconds * 1e6) / 1e6;

/**
 * Reads an interval log (ours or any HdrHistogram implementation's). Histograms keep the
 * layout they were encoded with. A log without a StartTime line reads as starting at the
 * epoch (startTimeMs 0), as Java's reader does, rather than yielding NaN.
 */
export function readHlog(content: string): ParsedHlog {
  const reader = new HistogramLogReader(content, 64);
  const intervals: HlogInterval[] = [];
  for (;;) {
    const histogram = reader.nextIntervalHistogram();
    if (!histogram) break;
    const startTimeSec = Number.isFinite(reader.startTimeSec) ? reader.startTimeSec : 0;
    intervals.push({
      startS: roundUs(histogram.startTimeStampMsec / 1000 - startTimeSec),
      lengthS: roundUs((histogram.endTimeStampMsec - histogram.startTimeStampMsec) / 1000),
      histogram,
    });
  }
  const startTimeSec = Number.isFinite(reader.startTimeSec) ? reader.startTimeSec : 0;
  return { startTimeMs: Math.round(startTimeSec * 1000), intervals };
}
