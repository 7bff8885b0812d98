// How control reads and sets a service's per-instance weights at its gateway, for a
// weight-shift capacity probe. One kind today, `http-json` (the demo mall's /admin/weights,
// or a sidecar beside nginx or Envoy speaking the same two calls); another gateway is one
// more implementation of WeightDriverClient.
import type { WeightDriver } from '@loadline/api/http';

export interface WeightDriverClient {
  /** the service's weights, one per instance in its metricsTargets' order */
  read(): Promise<number[]>;
  write(weights: readonly number[]): Promise<void>;
}

/** The gateway did not answer as a weight driver should: the caller's 502. */
export class WeightDriverError extends Error {}

const TIMEOUT_MS = 5000;

export function weightDriverFor(
  driver: WeightDriver,
  service: string,
  fetchImpl: typeof fetch = globalThis.fetch,
): WeightDriverClient {
  const call = async (init: RequestInit): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetchImpl(driver.url, {
        ...init,
        signal: AbortSignal.timeout(TIMEOUT_MS),
        // The allowlist covers the URL the environment lists, not wherever it redirects.
        redirect: 'manual',
      });
    } catch (error) {
      throw new WeightDriverError(
        `${init.method ?? 'GET'} ${driver.url}: ${(error as Error).message}`,
      );
    }
    const text = await response.text();
    if (!response.ok) {
      throw new WeightDriverError(
        `${init.method ?? 'GET'} ${driver.url}: HTTP ${response.status} ${text.slice(0, 200)}`,
      );
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new WeightDriverError(`${driver.url} did not answer JSON`);
    }
  };
  const weightsIn = (body: unknown): number[] => {
    const weights = (body as Record<string, unknown> | null)?.[service];
    if (
      !Array.isArray(weights) ||
      weights.length === 0 ||
      !weights.every((w) => typeof w === 'number' && Number.isFinite(w) && w >= 0)
    ) {
      throw new WeightDriverError(
        `${driver.url} lists no weights for "${service}" (expected {"${service}": [w0, w1, …]})`,
      );
    }
    return weights as number[];
  };
  return {
    read: async () => weightsIn(await call({ method: 'GET' })),
    write: async (weights) => {
      await call({
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ [service]: weights }),
      });
    },
  };
}

/**
 * The weights of each level: the instance's share of the service's weight rising
 * geometrically from what it has (level 0: the weights as found) to `maxShare`; the
 * other instances keep their weights relative to each other.
 */
export function levelWeights(
  original: readonly number[],
  instance: number,
  levels: number,
  maxShare: number,
): { share: number; weights: number[] }[] {
  const total = original.reduce((a, b) => a + b, 0);
  const others = total - (original[instance] ?? 0);
  const from = (original[instance] ?? 0) / total;
  return Array.from({ length: levels }, (_, k) => {
    if (k === 0) return { share: from, weights: [...original] };
    // From a zero weight the steps start from a small share, not zero times anything.
    const base = from > 0 ? from : Math.min(maxShare, 1 / (4 * original.length));
    const share = base * (maxShare / base) ** (k / (levels - 1));
    if (share >= 1) return { share: 1, weights: original.map((_, i) => (i === instance ? 1 : 0)) };
    const own = (share / (1 - share)) * others;
    return {
      share,
      weights: original.map((w, i) => (i === instance ? round(own) : w)),
    };
  });
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;
