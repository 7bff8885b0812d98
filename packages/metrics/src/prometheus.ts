// The Prometheus text exposition format (version 0.0.4), as far as a scraper of request
// counters, latency histograms and CPU counters needs it: samples with labels; comments,
// HELP and TYPE lines skipped. OpenMetrics' `# EOF` and exemplars are tolerated.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

// Exporters spell the special values variously (prom-client writes "Nan"): any case.
function parseValue(text: string): number {
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Number.POSITIVE_INFINITY;
  if (lower === '-inf') return Number.NEGATIVE_INFINITY;
  if (lower === 'nan') return Number.NaN;
  return Number(text);
}

/** Parses one exposition; a malformed line is an error naming its line number. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const name = NAME.exec(line)?.[0];
    if (!name) throw new Error(`line ${i + 1}: expected a metric name: ${line.slice(0, 80)}`);
    let rest = line.slice(name.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      let j = 1;
      for (;;) {
        while (rest[j] === ' ' || rest[j] === ',') j++;
        if (rest[j] === '}') break;
        const key = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(rest.slice(j))?.[0];
        if (!key || rest[j + key.length] !== '=' || rest[j + key.length + 1] !== '"') {
          throw new Error(`line ${i + 1}: malformed labels: ${line.slice(0, 80)}`);
        }
        j += key.length + 2;
        let value = '';
        for (; j < rest.length && rest[j] !== '"'; j++) {
          if (rest[j] === '\\') {
            j++;
            value += rest[j] === 'n' ? '\n' : (rest[j] ?? '');
          } else value += rest[j];
        }
        if (rest[j] !== '"') throw new Error(`line ${i + 1}: unterminated label value`);
        labels[key] = value;
        j++;
      }
      rest = rest.slice(j + 1);
    }
    // value, then an optional timestamp, then (OpenMetrics) an optional exemplar
    const [valueText] = rest.trim().split(/\s+/);
    const value = parseValue(valueText ?? '');
    if (
      valueText === undefined ||
      valueText === '' ||
      (Number.isNaN(value) && valueText.toLowerCase() !== 'nan')
    ) {
      throw new Error(`line ${i + 1}: expected a value: ${line.slice(0, 80)}`);
    }
    samples.push({ name, labels, value });
  }
  return samples;
}

/** What one scrape of one instance says, summed over every label set. */
export interface InstanceReading {
  requests: number;
  cpuSeconds: number | null;
  /** cumulative histogram buckets: upper bound in seconds → count */
  buckets: Map<number, number>;
  /** the duration histogram's `_sum`: seconds spent on every request so far; null if absent */
  durationSumS: number | null;
  /** the gauges asked for that the instance exposes: each summed over its label sets */
  gauges: Map<string, number>;
}

export interface MetricNames {
  requests: string;
  duration: string;
  cpu: string;
}

export const DEFAULT_METRIC_NAMES: MetricNames = {
  requests: 'http_requests_total',
  duration: 'http_request_duration_seconds',
  cpu: 'process_cpu_seconds_total',
};

/** Labels exporters name a request's route with. */
const ROUTE_LABELS = ['route', 'path', 'handler', 'endpoint', 'uri'];

/**
 * Our own scrapes are requests too, for the instance: left out, or every service would
 * seem to take one call a second that no entry request made (and bias the fan-out fit).
 */
function isScrape(sample: Sample): boolean {
  return ROUTE_LABELS.some((label) => sample.labels[label] === '/metrics');
}

export function readInstance(
  samples: readonly Sample[],
  names: MetricNames,
  gaugeNames: ReadonlySet<string> = new Set(),
): InstanceReading {
  let requests = 0;
  let cpuSeconds: number | null = null;
  let durationSumS: number | null = null;
  const buckets = new Map<number, number>();
  const gauges = new Map<string, number>();
  for (const s of samples) {
    if (gaugeNames.has(s.name)) gauges.set(s.name, (gauges.get(s.name) ?? 0) + s.value);
    if (isScrape(s)) continue;
    if (s.name === names.requests) requests += s.value;
    else if (s.name === names.cpu) cpuSeconds = (cpuSeconds ?? 0) + s.value;
    else if (s.name === `${names.duration}_sum`) durationSumS = (durationSumS ?? 0) + s.value;
    else if (s.name === `${names.duration}_bucket` && s.labels.le !== undefined) {
      const le = parseValue(s.labels.le);
      buckets.set(le, (buckets.get(le) ?? 0) + s.value);
    }
  }
  return { requests, cpuSeconds, buckets, durationSumS, gauges };
}
