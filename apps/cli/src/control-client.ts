import {
  ApiProblem,
  ApiUnreachable,
  type CallOptions,
  ControlApiClient,
  type ResponseOf,
  type RouteContract,
} from '@loadline/api/http';
import { DEFAULT_API_URL } from '@loadline/config';
import type { ApiEnv } from './api-env.js';
import { credentialsPath, loadCredential } from './credentials.js';
import { UsageError } from './exit-codes.js';

export { controlApi } from '@loadline/api/http';
export { ApiProblem };

export const DEFAULT_API = DEFAULT_API_URL;

export { API_ENV, type ApiEnv } from './api-env.js';

/**
 * The control API as the CLI uses it: the typed client with the caller's API token
 * (LOADLINE_TOKEN, else the one `loadline login` stored for this URL), and "control is not
 * there" or "sign in first" turned into usage errors that say what to do.
 */
export class ControlClient {
  readonly #api: ControlApiClient;

  constructor(
    readonly baseUrl: string = DEFAULT_API,
    token?: string,
  ) {
    this.#api = new ControlApiClient(baseUrl.replace(/\/+$/, ''), {
      ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    });
  }

  /** A client for `--api` (or LOADLINE_API) with the token the environment or file holds. */
  static for(api: string | undefined, env: ApiEnv): ControlClient {
    const baseUrl = api ?? env.LOADLINE_API;
    const token =
      env.LOADLINE_TOKEN ?? loadCredential(credentialsPath(env.XDG_CONFIG_HOME), baseUrl)?.token;
    return new ControlClient(baseUrl, token);
  }

  /** Calls a route; the answer is parsed with the route's response schema. */
  call<R extends RouteContract>(route: R, options: CallOptions<R> = {}): Promise<ResponseOf<R>> {
    return this.#reachable(route, () => this.#api.call(route, options));
  }

  /**
   * Calls a route through a control restart or failover: while control does not answer (or
   * a proxy before it says it is away, 502–504) the call is tried again every second, for
   * up to `patienceMs`; `onAway` hears when that starts and `onBack` when it answers again.
   */
  async callThroughRestarts<R extends RouteContract>(
    route: R,
    options: CallOptions<R>,
    patienceMs: number,
    hooks: { onAway?: (why: string) => void; onBack?: (awayMs: number) => void } = {},
  ): Promise<ResponseOf<R>> {
    let awaySince: number | undefined;
    for (;;) {
      try {
        const answer = await this.#api.call(route, options);
        if (awaySince !== undefined) hooks.onBack?.(Date.now() - awaySince);
        return answer;
      } catch (error) {
        const away =
          error instanceof ApiUnreachable ||
          (error instanceof ApiProblem && error.status >= 502 && error.status <= 504);
        if (!away) return this.call(route, options);
        if (awaySince === undefined) {
          awaySince = Date.now();
          hooks.onAway?.((error as Error).message);
        }
        if (Date.now() - awaySince > patienceMs) return this.call(route, options);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  /** Calls a route whose answer is a document (a report in some format): the raw response. */
  send<R extends RouteContract>(route: R, options: CallOptions<R> = {}): Promise<Response> {
    return this.#reachable(route, () => this.#api.send(route, options));
  }

  async #reachable<T>(route: RouteContract, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof ApiUnreachable) {
        throw new UsageError(
          '--api',
          `${error.message}; start it with \`loadline up\` (or \`npm start\`), or use --local`,
        );
      }
      // A sign-in's own 401 is its answer (a wrong password), not a call to sign in.
      if (error instanceof ApiProblem && error.status === 401 && route.permission !== 'public') {
        throw new UsageError(
          undefined,
          `control at ${this.baseUrl} asks who you are: run \`loadline login --api ${this.baseUrl}\`, or set LOADLINE_TOKEN (${error.problem.detail ?? error.problem.title})`,
        );
      }
      if (error instanceof ApiProblem && error.status === 403) {
        throw new UsageError(
          undefined,
          `not allowed: ${error.problem.detail ?? error.problem.title}`,
        );
      }
      throw error;
    }
  }
}
