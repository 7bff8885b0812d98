/**
 * The instances of one downstream service, called round-robin over keep-alive
 * connections: a real HTTP hop per call, as between machines. The caller's `request`
 * (the shadow SDK's tagging `shadowRequest`) carries the shadow tag on.
 */
import http from 'node:http';
import { HttpError } from './http.js';

export interface UpstreamReply {
  status: number;
  body: unknown;
}

export interface CallOptions {
  json?: unknown;
  headers?: Record<string, string>;
}

const TIMEOUT_MS = 10_000;

export type RequestFn = typeof http.request;

/** Why `weights` cannot be the weights of `count` instances of `service`, if it cannot. */
export function weightsProblem(
  service: string,
  count: number,
  weights: readonly number[],
): string | undefined {
  if (weights.length !== count)
    return `${service} has ${count} instance(s), got ${weights.length} weight(s)`;
  if (weights.some((w) => !Number.isFinite(w) || w < 0) || weights.every((w) => w === 0))
    return `${service}: weights are non-negative numbers, at least one above 0`;
  return undefined;
}

export class Upstream {
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  readonly #targets: URL[];
  /** per-instance weights and the smooth weighted round-robin state (nginx's) */
  #weights: number[];
  #current: number[];

  constructor(
    readonly service: string,
    urls: string[],
    readonly request: RequestFn = http.request,
  ) {
    if (urls.length === 0) throw new Error(`no instances of ${service}`);
    this.#targets = urls.map((u) => new URL(u));
    this.#weights = urls.map(() => 1);
    this.#current = urls.map(() => 0);
  }

  get weights(): number[] {
    return [...this.#weights];
  }

  /**
   * Shifts traffic between instances (Alibaba-style online single-machine tests raise one
   * machine's share until it breaks): one non-negative weight per instance, not all zero.
   */
  setWeights(weights: readonly number[]): void {
    const problem = weightsProblem(this.service, this.#targets.length, weights);
    if (problem) throw new RangeError(problem);
    this.#weights = [...weights];
    this.#current = weights.map(() => 0);
  }

  /**
   * The next instance: smooth weighted round-robin, which spreads a heavy instance's turns
   * evenly between the others' (equal weights: plain round-robin).
   */
  pick(): URL {
    let best = -1;
    let total = 0;
    for (let i = 0; i < this.#targets.length; i++) {
      const weight = this.#weights[i] as number;
      total += weight;
      this.#current[i] = (this.#current[i] as number) + weight;
      if (
        weight > 0 &&
        (best < 0 || (this.#current[i] as number) > (this.#current[best] as number))
      )
        best = i;
    }
    this.#current[best] = (this.#current[best] as number) - total;
    return this.#targets[best] as URL;
  }

  /** One JSON call; a network failure or a 5xx answer becomes a 502 of the caller. */
  call(method: string, path: string, options: CallOptions = {}): Promise<UpstreamReply> {
    const target = this.pick();
    const payload = options.json === undefined ? undefined : JSON.stringify(options.json);
    return new Promise((resolve, reject) => {
      const req = this.request(
        {
          host: target.hostname.replace(/^\[|\]$/g, ''),
          port: target.port,
          method,
          path,
          agent: this.agent,
          timeout: TIMEOUT_MS,
          headers: {
            accept: 'application/json',
            ...options.headers,
            ...(payload === undefined
              ? {}
              : {
                  'content-type': 'application/json',
                  'content-length': Buffer.byteLength(payload),
                }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (error) => reject(this.#unreachable(error)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            let body: unknown;
            try {
              body = text === '' ? undefined : JSON.parse(text);
            } catch {
              body = text;
            }
            if (status >= 500) {
              reject(new HttpError(502, `${this.service} answered ${status}`, body));
            } else resolve({ status, body });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
      req.on('error', (error) => reject(this.#unreachable(error)));
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }

  #unreachable(error: Error): HttpError {
    return new HttpError(502, `${this.service} is unreachable`, error.message);
  }
}
