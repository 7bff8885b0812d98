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

export class Upstream {
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  readonly #targets: URL[];
  #next = 0;

  constructor(
    readonly service: string,
    urls: string[],
    readonly request: RequestFn = http.request,
  ) {
    if (urls.length === 0) throw new Error(`no instances of ${service}`);
    this.#targets = urls.map((u) => new URL(u));
  }

  /** The next instance, round-robin. */
  pick(): URL {
    const target = this.#targets[this.#next % this.#targets.length] as URL;
    this.#next = (this.#next + 1) % this.#targets.length;
    return target;
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
