import {
  ApiProblem,
  ApiUnreachable,
  type CallOptions,
  ControlApiClient,
  type ResponseOf,
  type RouteContract,
} from '@loadline/api/http';
import { DEFAULT_API_URL } from '@loadline/config';
import { UsageError } from './exit-codes.js';

export { controlApi } from '@loadline/api/http';
export { ApiProblem };

export const DEFAULT_API = DEFAULT_API_URL;

/**
 * The control API as the CLI uses it: the typed client, with "control is not there" turned
 * into a usage error that says how to start it.
 */
export class ControlClient {
  readonly #api: ControlApiClient;

  constructor(readonly baseUrl: string = DEFAULT_API) {
    this.#api = new ControlApiClient(baseUrl);
  }

  /** Calls a route; the answer is parsed with the route's response schema. */
  call<R extends RouteContract>(route: R, options: CallOptions<R> = {}): Promise<ResponseOf<R>> {
    return this.#reachable(() => this.#api.call(route, options));
  }

  /** Calls a route whose answer is a document (a report in some format): the raw response. */
  send<R extends RouteContract>(route: R, options: CallOptions<R> = {}): Promise<Response> {
    return this.#reachable(() => this.#api.send(route, options));
  }

  async #reachable<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof ApiUnreachable) {
        throw new UsageError(
          '--api',
          `${error.message}; start it with \`loadline up\` (or \`npm start\`), or use --local`,
        );
      }
      throw error;
    }
  }
}
