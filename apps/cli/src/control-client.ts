import { DEFAULT_API_URL } from '@loadline/config';
import { UsageError } from './exit-codes.js';

export const DEFAULT_API = DEFAULT_API_URL;

/** A problem+json answer from control, kept whole so the CLI can show its errors. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly problem: { title?: string; detail?: string; errors?: unknown[] },
  ) {
    super(`${problem.title ?? `HTTP ${status}`}${problem.detail ? `: ${problem.detail}` : ''}`);
  }
}

/** The control API as the CLI uses it. */
export class ControlClient {
  constructor(readonly baseUrl: string = DEFAULT_API) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
    } catch (error) {
      const cause =
        (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new UsageError(
        '--api',
        `cannot reach control at ${this.baseUrl} (${cause}); start it with \`loadline up\` (or \`npm start\`), or use --local`,
      );
    }
    const text = await response.text();
    const json = text === '' ? undefined : JSON.parse(text);
    if (!response.ok) throw new ApiProblem(response.status, json ?? {});
    return json as T;
  }
}
